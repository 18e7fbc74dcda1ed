package io.cairn.config;

import io.cairn.model.Durations;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code bridges} list: each entry mirrors Cairn's registry out to another system, or brings one in. Every
 * entry is checked at start, and every error names the entry and its key ({@code bridges[1] (legacy).endpoints}),
 * so that a bad bridge stops the start rather than a running node. A bridge whose server cannot be reached is not
 * a configuration error: it runs and shows as disconnected.
 */
public final class BridgeSettings {
  public static final String KEY = "bridges";

  /** What a bridge does; the {@code type} key. */
  public enum Type {
    ETCD_EXPORT("etcd-export"), ETCD_IMPORT("etcd-import"), REDIS("redis");

    private final String key;

    Type(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** The shape of the documents an etcd bridge reads or writes. */
  public enum Format {
    /** {prefix}/services/{name}/{id}: the instance as Cairn's REST API shows it. */
    CAIRN("cairn"),
    /** {prefix}/services/{id}: Proxy-Stone's document (id, name, host, port, status, version, tags, region, zone, health). */
    PROXY_STONE("proxy-stone");

    private final String key;

    Format(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** What every bridge has: its id (unique, in URLs and metric labels) and type. */
  public sealed interface Bridge permits Etcd, Redis {
    String id();

    Type type();
  }

  /**
   * How to reach etcd: client URLs (http or https), an optional user and password (etcd's authentication), and for
   * https a CA file and optionally a client certificate and key.
   */
  public record EtcdConnection(List<URI> endpoints, String user, String password, String caFile, String certFile,
                               String keyFile) {
    public boolean tls() {
      return endpoints.get(0).getScheme().equals("https");
    }
  }

  /**
   * An etcd bridge: export (Cairn → etcd) or import (etcd → Cairn).
   *
   * @param prefix   the key prefix, without a trailing slash (keys are {prefix}/services/...)
   * @param leaseTtl export: the TTL of the lease its keys are written under (they expire that long after the last
   *                 Cairn node that ran the bridge stopped)
   */
  public record Etcd(String id, Type type, EtcdConnection connection, String prefix, Format format, long leaseTtl)
      implements Bridge {
  }

  /**
   * The Redis bridge.
   *
   * @param endpoint  redis://host:port or rediss://host:port (TLS)
   * @param caFile    for rediss: the CA that signed the server's certificate (empty: the JVM's trust store)
   * @param channel   where every event is published
   * @param keyPrefix the hashes are {keyPrefix}:service:{name}, the set of names {keyPrefix}:services
   */
  public record Redis(String id, URI endpoint, String password, String caFile, String channel, String keyPrefix)
      implements Bridge {
    @Override
    public Type type() {
      return Type.REDIS;
    }

    public boolean tls() {
      return endpoint.getScheme().equals("rediss");
    }
  }

  private static final String ID = "[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?";

  private BridgeSettings() {
  }

  /**
   * The bridges of the merged configuration: a YAML list, or (from {@code CAIRN_BRIDGES} or {@code --bridges}) the
   * same list as JSON text.
   */
  static List<Bridge> from(Object value) {
    JsonArray entries;
    if (value instanceof JsonArray) {
      entries = (JsonArray) value;
    } else {
      String text = value == null ? "" : String.valueOf(value).trim();
      try {
        entries = text.isEmpty() ? new JsonArray() : new JsonArray(text);
      } catch (DecodeException e) {
        throw new IllegalArgumentException("bridges is a list of bridges (as a JSON array in a flag or an environment "
            + "variable), not '" + text + "'");
      }
    }
    List<Bridge> bridges = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      Object entry = entries.getValue(i);
      if (!(entry instanceof JsonObject)) {
        throw new IllegalArgumentException("bridges[" + i + "] is a map with a type and an id, not '" + entry + "'");
      }
      Entry e = new Entry((JsonObject) entry, i);
      Bridge b = e.parse();
      if (!ids.add(b.id())) {
        throw new IllegalArgumentException(e.key("id") + ": another bridge has the id '" + b.id() + "'");
      }
      bridges.add(b);
    }
    return List.copyOf(bridges);
  }

  /** One entry of the list, read key by key; remembers the keys read, so that an unknown one is refused. */
  private static final class Entry {
    private final JsonObject json;
    private final int index;
    private final Set<String> known = new HashSet<>();

    Entry(JsonObject json, int index) {
      this.json = json;
      this.index = index;
    }

    String key(String key) {
      String id = json.getValue("id") instanceof String s ? " (" + s + ")" : "";
      return "bridges[" + index + "]" + id + "." + key;
    }

    Bridge parse() {
      String typeName = required("type");
      Type type = null;
      for (Type t : Type.values()) {
        if (t.key().equals(typeName)) {
          type = t;
        }
      }
      if (type == null) {
        throw new IllegalArgumentException(key("type") + ": etcd-export, etcd-import or redis, not '" + typeName + "'");
      }
      String id = required("id");
      if (!id.matches(ID)) {
        throw new IllegalArgumentException(key("id") + ": lower-case letters, digits and -, at most 64, not '" + id
            + "'");
      }
      Bridge bridge = type == Type.REDIS ? redis(id) : etcd(id, type);
      for (String k : json.fieldNames()) {
        if (!known.contains(k)) {
          throw new IllegalArgumentException("unknown key " + key(k) + " (a " + type.key() + " bridge has "
              + String.join(", ", known.stream().sorted().toList()) + ")");
        }
      }
      return bridge;
    }

    private Etcd etcd(String id, Type type) {
      List<URI> endpoints = new ArrayList<>();
      for (String s : list("endpoints")) {
        endpoints.add(url(s, "endpoints", Set.of("http", "https"), 2379));
      }
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException(key("endpoints") + " is missing: etcd's client URLs, e.g. "
            + "[http://127.0.0.1:2379]");
      }
      if (endpoints.stream().map(URI::getScheme).distinct().count() > 1) {
        throw new IllegalArgumentException(key("endpoints") + ": all http or all https");
      }
      String prefix = required("prefix");
      while (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      String user = optional("user");
      String password = optional("password");
      if (user.isEmpty() != password.isEmpty()) {
        throw new IllegalArgumentException(key(user.isEmpty() ? "user" : "password") + " is missing: etcd's "
            + "authentication takes a user and a password");
      }
      String ca = file("ca");
      String cert = file("cert");
      String keyFile = file("key");
      if (cert.isEmpty() != keyFile.isEmpty()) {
        throw new IllegalArgumentException(key(cert.isEmpty() ? "cert" : "key") + " is missing: a client certificate "
            + "needs its key");
      }
      boolean https = endpoints.get(0).getScheme().equals("https");
      if (!https && !(ca + cert).isEmpty()) {
        throw new IllegalArgumentException(key("endpoints") + ": ca, cert and key are for https endpoints");
      }
      String formatName = json.containsKey("format") ? optional("format") : Format.CAIRN.key();
      known.add("format");
      Format format = null;
      for (Format f : Format.values()) {
        if (f.key().equals(formatName)) {
          format = f;
        }
      }
      if (format == null) {
        throw new IllegalArgumentException(key("format") + ": cairn or proxy-stone, not '" + formatName + "'");
      }
      long leaseTtl = 0;
      if (type == Type.ETCD_EXPORT) {
        leaseTtl = duration("leaseTtl", "10s");
        if (leaseTtl < 2_000 || leaseTtl % 1000 != 0) {
          throw new IllegalArgumentException(key("leaseTtl") + ": whole seconds, at least 2s");
        }
      }
      return new Etcd(id, type, new EtcdConnection(List.copyOf(endpoints), user, password, ca, cert, keyFile), prefix,
          format, leaseTtl);
    }

    private Redis redis(String id) {
      URI endpoint = url(required("endpoint"), "endpoint", Set.of("redis", "rediss"), 6379);
      String ca = file("ca");
      if (!ca.isEmpty() && !endpoint.getScheme().equals("rediss")) {
        throw new IllegalArgumentException(key("ca") + " is for a rediss:// (TLS) endpoint");
      }
      String channel = json.containsKey("channel") ? optional("channel") : "cairn.events";
      known.add("channel");
      String keyPrefix = json.containsKey("keyPrefix") ? optional("keyPrefix") : "cairn";
      known.add("keyPrefix");
      if (channel.isEmpty() || keyPrefix.isEmpty()) {
        throw new IllegalArgumentException(key(channel.isEmpty() ? "channel" : "keyPrefix") + " may not be empty");
      }
      return new Redis(id, endpoint, optional("password"), ca, channel, keyPrefix);
    }

    private String required(String k) {
      String v = optional(k);
      if (v.isEmpty()) {
        throw new IllegalArgumentException(key(k) + " is missing");
      }
      return v;
    }

    private String optional(String k) {
      known.add(k);
      Object v = json.getValue(k);
      if (v != null && !(v instanceof String) && !(v instanceof Number)) {
        throw new IllegalArgumentException(key(k) + " is a value, not '" + v + "'");
      }
      return v == null ? "" : String.valueOf(v).trim();
    }

    private List<String> list(String k) {
      known.add(k);
      Object v = json.getValue(k);
      List<String> items = new ArrayList<>();
      if (v instanceof JsonArray a) {
        a.forEach(o -> items.add(String.valueOf(o).trim()));
      } else if (v != null) {
        for (String s : String.valueOf(v).split(",")) {
          if (!s.isBlank()) {
            items.add(s.trim());
          }
        }
      }
      return items;
    }

    private long duration(String k, String fallback) {
      String v = json.containsKey(k) ? optional(k) : fallback;
      known.add(k);
      try {
        return Durations.parse(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key(k) + ": " + e.getMessage());
      }
    }

    /** A readable file, or empty. */
    private String file(String k) {
      String path = optional(k);
      if (!path.isEmpty() && !Files.isReadable(Path.of(path))) {
        throw new IllegalArgumentException(key(k) + ": cannot read " + path);
      }
      return path;
    }

    private URI url(String text, String k, Set<String> schemes, int defaultPort) {
      String s = text.contains("://") ? text : schemes.stream().sorted().findFirst().orElseThrow() + "://" + text;
      try {
        URI u = new URI(s);
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme) || u.getHost() == null) {
          throw new URISyntaxException(s, "not a " + String.join(" or ", schemes.stream().sorted().toList()) + " URL");
        }
        return new URI(scheme, null, u.getHost(), u.getPort() < 0 ? defaultPort : u.getPort(), null, null, null);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(key(k) + ": a URL like " + schemes.stream().sorted().findFirst().orElseThrow()
            + "://127.0.0.1:" + defaultPort + ", not '" + text + "'");
      }
    }
  }
}
