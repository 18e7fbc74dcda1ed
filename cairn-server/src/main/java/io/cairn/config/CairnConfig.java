package io.cairn.config;

import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's typed configuration. The keys and defaults are those of {@code conf/cairn.yaml}, which is built into
 * the jar; layers above it are a YAML file, {@code CAIRN_<SECTION>_<KEY>} environment variables and
 * {@code --section.key=value} flags. Unknown keys are refused at start-up rather than silently ignored.
 *
 * <p>The merged layers are parsed once, into an immutable record per section ({@link #http()}, {@link #raft()},
 * ...), each of which refuses a bad value with its key's name; nothing is parsed again while the node runs.
 *
 * <p>Loaded with SnakeYAML rather than vertx-config because the cluster manager must be configured before a
 * Vert.x instance (which vertx-config needs) exists.
 */
public final class CairnConfig {
  public static final String DEFAULTS_RESOURCE = "cairn.yaml";
  private static final String LOGGERS = "logging.loggers";
  private static final String PROXY_ROUTES = "proxy.routes";

  private final JsonObject json;
  private final NodeSettings node;
  private final HttpSettings http;
  private final GrpcSettings grpc;
  private final ClusterSettings cluster;
  private final RaftSettings raft;
  private final ReplicationSettings replication;
  private final StorageSettings storage;
  private final SnapshotSettings snapshot;
  private final CheckSettings checks;
  private final HealthSettings health;
  private final ShutdownSettings shutdown;
  private final SecuritySettings security;
  private final DnsSettings dns;
  private final ProxySettings proxy;
  private final RegistrySettings registry;
  private final ConsulSettings consul;
  private final LoggingSettings logging;
  private final List<BridgeSettings.Bridge> bridges;

  /** Reads every value once, so that a bad one stops the node at start-up with the key's name. */
  private CairnConfig(JsonObject json) {
    this.json = json;
    ConfigReader root = new ConfigReader(json);
    // Some sections derive defaults from others: http.advertisedHost from cluster.host, ports and node.id from
    // http.port, security.audit.file from node.dataDir.
    cluster = ClusterSettings.from(root.section("cluster"));
    http = HttpSettings.from(root.section("http"), cluster.host());
    node = NodeSettings.from(root.section("node"), http.port());
    grpc = GrpcSettings.from(root.section("grpc"), http.port());
    raft = RaftSettings.from(root.section("cluster.raft"), http.port());
    checks = CheckSettings.from(root.section("checks"));
    replication = ReplicationSettings.from(root.section("replication"));
    storage = StorageSettings.from(root.section("storage"));
    registry = RegistrySettings.from(root.section("registry"));
    health = HealthSettings.from(root.section("health"));
    consul = ConsulSettings.from(root.section("consul"));
    snapshot = SnapshotSettings.from(root.section("snapshot"));
    shutdown = ShutdownSettings.from(root.section("shutdown"));
    security = SecuritySettings.from(root.section("security"), node.dataDir());
    security.requireAuthenticatedCallers("http.host", http.host());
    security.requireSecuredCluster(cluster.host());
    logging = LoggingSettings.from(root.section("logging"));
    dns = DnsSettings.from(root.section("dns"));
    proxy = ProxySettings.from(root.section("proxy"), http.host());
    if (proxy.enabled()) {
      security.requireAuthenticatedCallers("proxy.host", proxy.host());
    }
    bridges = BridgeSettings.from(json.getValue(BridgeSettings.KEY));
  }

  /** Whether a host name or address is this machine's loopback (localhost, 127.x, ::1); false for null. */
  public static boolean isLoopback(String host) {
    return host != null
        && (host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]"));
  }

  /** The defaults with {@code overrides} (any subset of sections and keys) laid over them. */
  public static CairnConfig of(JsonObject overrides) {
    JsonObject merged = defaults();
    overlay(merged, overrides == null ? new JsonObject() : overrides, "");
    return new CairnConfig(merged);
  }

  /**
   * The layers of a launched node: defaults, then the file, the environment and the flags.
   *
   * @param flags {@code --section.key=value} or {@code --section.key value} pairs, {@code --config=PATH}
   * @param conf  Vert.x's {@code -conf} JSON, if any: a layer like the file's
   */
  public static CairnConfig load(List<String> flags, Map<String, String> env, JsonObject conf) {
    JsonObject merged = defaults();
    String file = env.get("CAIRN_CONFIG");
    JsonObject flagValues = new JsonObject();
    for (int i = 0; i < flags.size(); i++) {
      String flag = flags.get(i).substring(2);
      String value;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < flags.size()) {
        value = flags.get(++i);
      } else {
        throw new IllegalArgumentException("--" + flag + " needs a value");
      }
      if (flag.equals("config")) {
        file = value;
      } else if (flag.equals("join")) {
        putDotted(flagValues, "cluster.join", value);
      } else if (flag.equals(BridgeSettings.KEY)) {
        flagValues.put(BridgeSettings.KEY, value);
      } else {
        putDotted(flagValues, flag, value);
      }
    }
    if (file != null && !file.isBlank()) {
      try {
        overlay(merged, yaml(Files.readString(Path.of(file))), "");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read configuration file " + file, e);
      }
    }
    if (conf != null) {
      overlay(merged, conf, "");
    }
    JsonObject envValues = new JsonObject();
    if (env.get("LOG_LEVEL") != null) {
      // The common convention; CAIRN_LOGGING_LEVEL, collected next, wins over it.
      putDotted(envValues, "logging.level", env.get("LOG_LEVEL"));
    }
    collectEnv(merged, "", env, envValues);
    if (env.get(envName(BridgeSettings.KEY)) != null) {
      // The one list at the top level: JSON text, as a flag gives it.
      envValues.put(BridgeSettings.KEY, env.get(envName(BridgeSettings.KEY)));
    }
    overlay(merged, envValues, "");
    overlay(merged, flagValues, "");
    return new CairnConfig(merged);
  }

  /**
   * {@code cluster.portAutoIncrement} → {@code CAIRN_CLUSTER_PORT_AUTO_INCREMENT}; nested keys join with
   * underscores too: {@code cluster.raft.members} → {@code CAIRN_CLUSTER_RAFT_MEMBERS}.
   */
  public static String envName(String dottedKey) {
    return ("CAIRN_" + dottedKey.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2")).toUpperCase(Locale.ROOT);
  }

  /** Finds, for every key of the defaults (at any depth), its environment variable. */
  private static void collectEnv(JsonObject defaults, String path, Map<String, String> env, JsonObject into) {
    for (String key : defaults.fieldNames()) {
      String dotted = path.isEmpty() ? key : path + "." + key;
      Object v = defaults.getValue(key);
      if (v instanceof JsonObject && !dotted.equals(LOGGERS)) {
        collectEnv((JsonObject) v, dotted, env, into);
      } else if (!path.isEmpty()) {
        String value = env.get(envName(dotted));
        if (value != null) {
          putDotted(into, dotted, value);
        }
      }
    }
  }

  public JsonObject toJson() {
    return json.copy();
  }

  public NodeSettings node() {
    return node;
  }

  public HttpSettings http() {
    return http;
  }

  public GrpcSettings grpc() {
    return grpc;
  }

  public ClusterSettings cluster() {
    return cluster;
  }

  public RaftSettings raft() {
    return raft;
  }

  public ReplicationSettings replication() {
    return replication;
  }

  public StorageSettings storage() {
    return storage;
  }

  public SnapshotSettings snapshot() {
    return snapshot;
  }

  public CheckSettings checks() {
    return checks;
  }

  public HealthSettings health() {
    return health;
  }

  public ShutdownSettings shutdown() {
    return shutdown;
  }

  public SecuritySettings security() {
    return security;
  }

  public DnsSettings dns() {
    return dns;
  }

  public ProxySettings proxy() {
    return proxy;
  }

  public RegistrySettings registry() {
    return registry;
  }

  public ConsulSettings consul() {
    return consul;
  }

  public LoggingSettings logging() {
    return logging;
  }

  /** The bridges to etcd and Redis, in the order configured. */
  public List<BridgeSettings.Bridge> bridges() {
    return bridges;
  }

  // ---- loading ----

  /** {@code logging.loggers} as given: a map, or {@code name=level,name=level}. */
  @SuppressWarnings("unchecked")
  private static JsonObject loggerLevels(Object value) {
    if (value instanceof JsonObject) {
      return (JsonObject) value;
    }
    if (value instanceof Map) {
      return new JsonObject(new LinkedHashMap<>((Map<String, Object>) value));
    }
    JsonObject levels = new JsonObject();
    for (String pair : String.valueOf(value).split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("logging.loggers takes name=level pairs separated by commas, not '"
            + pair.trim() + "'");
      }
      levels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return levels;
  }

  private static JsonObject defaults() {
    try (InputStream in = CairnConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return yaml(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static JsonObject yaml(String text) {
    Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    if (loaded == null) {
      return new JsonObject();
    }
    if (!(loaded instanceof Map)) {
      throw new IllegalArgumentException("a Cairn configuration file is a map of sections");
    }
    return new JsonObject((Map<String, Object>) loaded);
  }

  private static void putDotted(JsonObject target, String dotted, String value) {
    String[] parts = dotted.split("\\.");
    if (parts.length < 2) {
      throw new IllegalArgumentException("unknown option --" + dotted + " (Cairn options look like --http.port=8080)");
    }
    JsonObject s = target;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = s.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        s.put(parts[i], next);
      }
      s = next;
    }
    s.put(parts[parts.length - 1], value);
  }

  /** Lays {@code top} over {@code base}, refusing keys that the defaults do not have. */
  private static void overlay(JsonObject base, JsonObject top, String path) {
    for (String key : top.fieldNames()) {
      String where = path.isEmpty() ? key : path + "." + key;
      if (!base.containsKey(key)) {
        throw new IllegalArgumentException("unknown configuration key '" + where + "' (see conf/cairn.yaml for every key)");
      }
      Object value = top.getValue(key);
      Object current = base.getValue(key);
      if (where.equals(PROXY_ROUTES)) {
        // Route ids are the operator's: the routes of a layer replace those of the layers below, whole.
        base.put(key, value);
        continue;
      }
      if (where.equals(LOGGERS)) {
        // Logger names are free: a map (file, -conf) or name=level pairs (environment, flag), added to the defaults.
        JsonObject levels = ((JsonObject) current).copy();
        levels.mergeIn(loggerLevels(value));
        base.put(key, levels);
        continue;
      }
      if (current instanceof JsonObject) {
        if (!(value instanceof JsonObject)) {
          throw new IllegalArgumentException("configuration key '" + where + "' is a section, not a value");
        }
        overlay((JsonObject) current, (JsonObject) value, where);
      } else {
        base.put(key, value);
      }
    }
  }
}
