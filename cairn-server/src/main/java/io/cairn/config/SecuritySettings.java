package io.cairn.config;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code security} section: tokens, ACLs, TLS of the API ({@code security.tls}) and between nodes
 * ({@code security.cluster}), the audit log and per-caller limits. A blank file means none.
 *
 * @param tokensFile     the tokens file, or blank for none
 * @param aclModel       the jcasbin model file, or blank for the shipped model
 * @param aclPolicy      the jcasbin policy file, or blank for none (every authenticated caller may do everything)
 * @param tlsClientAuth  security.tls.clientAuth: none, optional or required
 * @param auditFile      where audit lines go: a file (security.audit.file, or audit.log in node.dataDir when it is
 *                       blank), or "-" for the node's own log
 */
public record SecuritySettings(String tokensFile, long reloadIntervalMillis, boolean allowInsecure, String aclModel,
                               String aclPolicy, String tlsCertFile, String tlsKeyFile, String tlsClientCaFile,
                               String tlsClientAuth, String clusterCertFile, String clusterKeyFile,
                               String clusterCaFile, String auditFile, int writesPerSecond, int writeBurst,
                               int streamsPerCaller, int proxyRequestsPerSecond, int proxyBurst) {

  public SecuritySettings {
    if (reloadIntervalMillis < 100) {
      throw new IllegalArgumentException(HttpSettings.TIMEOUTS);
    }
    if (writesPerSecond < 0 || writeBurst < writesPerSecond || streamsPerCaller < 1 || proxyRequestsPerSecond < 0
        || proxyBurst < proxyRequestsPerSecond) {
      throw new IllegalArgumentException("security.limits: writesPerSecond and proxyRequestsPerSecond at least 0 (0: "
          + "no limit), writeBurst at least writesPerSecond, proxyBurst at least proxyRequestsPerSecond, "
          + "streamsPerCaller at least 1");
    }
    if (!tlsClientAuth.equals("none") && !tlsClientAuth.equals("optional") && !tlsClientAuth.equals("required")) {
      throw new IllegalArgumentException("security.tls.clientAuth is none, optional or required, not '" + tlsClientAuth
          + "'");
    }
    if (tlsCertFile.isBlank() != tlsKeyFile.isBlank()) {
      throw new IllegalArgumentException("security.tls.certFile and security.tls.keyFile go together: set both or neither");
    }
    if (!tlsClientAuth.equals("none") && (tlsCertFile.isBlank() || tlsClientCaFile.isBlank())) {
      throw new IllegalArgumentException("security.tls.clientAuth " + tlsClientAuth + " needs security.tls.certFile, "
          + "keyFile and clientCaFile");
    }
    int clusterTls = (clusterCertFile.isBlank() ? 0 : 1) + (clusterKeyFile.isBlank() ? 0 : 1)
        + (clusterCaFile.isBlank() ? 0 : 1);
    if (clusterTls != 0 && clusterTls != 3) {
      throw new IllegalArgumentException("security.cluster.certFile, keyFile and caFile go together: set all three or none");
    }
  }

  static SecuritySettings from(ConfigReader r, Path dataDir) {
    ConfigReader acl = r.section("acl");
    ConfigReader tls = r.section("tls");
    ConfigReader cluster = r.section("cluster");
    ConfigReader limits = r.section("limits");
    String audit = r.section("audit").string("file");
    return new SecuritySettings(r.string("tokensFile"), r.duration("reloadInterval"), r.bool("allowInsecure"),
        acl.string("model"), acl.string("policy"), tls.string("certFile"), tls.string("keyFile"),
        tls.string("clientCaFile"), tls.string("clientAuth").trim().toLowerCase(Locale.ROOT),
        cluster.string("certFile"), cluster.string("keyFile"), cluster.string("caFile"),
        audit.isBlank() ? dataDir.resolve("audit.log").toString() : audit, limits.integer("writesPerSecond"),
        limits.integer("writeBurst"), limits.integer("streamsPerCaller"), limits.integer("proxyRequestsPerSecond"),
        limits.integer("proxyBurst"));
  }

  /** Whether the HTTP and gRPC listeners serve TLS. */
  public boolean tlsEnabled() {
    return !tlsCertFile.isBlank();
  }

  /** Whether nodes talk to each other over mutual TLS. */
  public boolean clusterTlsEnabled() {
    return !clusterCertFile.isBlank();
  }

  /** Refuses an API that other machines reach while nothing authenticates its callers. */
  void requireAuthenticatedCallers(String key, String host) {
    if (!CairnConfig.isLoopback(host) && tokensFile.isBlank() && !tlsClientAuth.equals("required")
        && !allowInsecure) {
      throw new IllegalArgumentException(key + " is " + host + ", reachable from other machines, and nothing "
          + "authenticates callers: set security.tokensFile (or security.tls.clientAuth: required), bind "
          + key + ": 127.0.0.1, or accept the risk with security.allowInsecure: true");
    }
  }

  /**
   * Refuses a node whose API asks callers for credentials while its cluster port, on {@code clusterHost}, is reachable
   * from other machines without mutual TLS between nodes: any process reaching it could join and write the registry.
   */
  void requireSecuredCluster(String clusterHost) {
    boolean apiSecured = !tokensFile.isBlank() || tlsEnabled();
    if (apiSecured && !CairnConfig.isLoopback(clusterHost) && !clusterTlsEnabled() && !allowInsecure) {
      throw new IllegalArgumentException("cluster.host is " + clusterHost + ", reachable from other machines, and the API "
          + "asks callers for credentials, but the cluster port admits any process that reaches it (such a process "
          + "could join and write the registry): set security.cluster.certFile, security.cluster.keyFile and "
          + "security.cluster.caFile (mutual TLS between nodes; ./run.sh certs DIR makes them), bind it to "
          + "127.0.0.1, or accept the risk with security.allowInsecure: true");
    }
  }
}
