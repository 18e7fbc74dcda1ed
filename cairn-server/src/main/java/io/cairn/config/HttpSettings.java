package io.cairn.config;

/**
 * The {@code http} section: the REST API's listener.
 *
 * @param advertisedHost http.advertisedHost, or http.host (cluster.host when http.host is 0.0.0.0) when it is blank
 * @param instances      http.instances, or one per core when it is 0
 */
public record HttpSettings(String host, int port, String advertisedHost, int instances, int maxBodyBytes,
                           int maxHeaderBytes, long idleTimeoutMillis) {
  /** The one message users and tests know for both lower bounds; SecuritySettings checks the second. */
  static final String TIMEOUTS = "http.idleTimeout at least 5s, security.reloadInterval at least 100ms";

  public HttpSettings {
    if (idleTimeoutMillis < 5000) {
      throw new IllegalArgumentException(TIMEOUTS);
    }
  }

  static HttpSettings from(ConfigReader r, String clusterHost) {
    String host = r.string("host");
    String advertised = r.string("advertisedHost");
    if (advertised.isBlank()) {
      advertised = host.equals("0.0.0.0") ? clusterHost : host;
    }
    int port = r.integer("port");
    int instances = r.integer("instances");
    if (instances <= 0) {
      instances = Runtime.getRuntime().availableProcessors();
    }
    return new HttpSettings(host, port, advertised, instances, r.integer("maxBodyBytes"), r.integer("maxHeaderBytes"),
        r.duration("idleTimeout"));
  }

  /** How often a stream that has nothing to say still says something, so that http.idleTimeout never closes it. */
  public long keepAliveMillis() {
    return Math.min(10_000, idleTimeoutMillis / 2);
  }
}
