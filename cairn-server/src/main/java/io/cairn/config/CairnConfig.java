package io.cairn.config;

import io.cairn.model.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's typed configuration. The keys and defaults are those of {@code conf/cairn.yaml}, which is built into
 * the jar; layers above it are a YAML file, {@code CAIRN_<SECTION>_<KEY>} environment variables and
 * {@code --section.key=value} flags. Unknown keys are refused at start-up rather than silently ignored.
 *
 * <p>Loaded with SnakeYAML rather than vertx-config because the cluster manager must be configured before a
 * Vert.x instance (which vertx-config needs) exists.
 */
public final class CairnConfig {
  public static final String DEFAULTS_RESOURCE = "cairn.yaml";
  private static final String LOGGERS = "logging.loggers";
  private static final java.util.Set<String> LEVELS = java.util.Set.of("trace", "debug", "info", "warn", "error", "off");

  private final JsonObject json;

  private CairnConfig(JsonObject json) {
    this.json = json;
    validate();
  }

  /** Reads every typed value once, so that a bad one stops the node at start-up with the key's name. */
  private void validate() {
    httpPort();
    checkTargets();
    httpInstances();
    maxBodyBytes();
    clusterPort();
    clusterPortAutoIncrement();
    clusterBackupCount();
    eventHistory();
    writeTimeoutMillis();
    storageMinFreeBytes();
    dnsRefuseWhenBehind();
    if (maxLagRevisions() < 1 || maxLagMillis() < 1000) {
      throw new IllegalArgumentException("replication.maxLag.revisions at least 1 and replication.maxLag.time at "
          + "least 1s");
    }
    if (registryMaxBytes() < 1 || registryMaxInstances() < 0) {
      throw new IllegalArgumentException("registry.maxBytes must be auto or a positive size, registry.maxInstances "
          + "0 (no limit) or more");
    }
    ttlScanIntervalMillis();
    heartbeatBatchMillis();
    maxBulk();
    queryCacheSize();
    consulDatacenter();
    if (maxBulk() < 1 || maxBulk() > 10_000) {
      throw new IllegalArgumentException("registry.maxBulk must be between 1 and 10000");
    }
    long heartbeat = heartbeatIntervalMillis();
    if (heartbeat < 1000 || heartbeat % 1000 != 0 || failureTimeoutMillis() % 1000 != 0
        || failureTimeoutMillis() < 2 * heartbeat) {
      // Hazelcast counts both in whole seconds.
      throw new IllegalArgumentException("cluster.heartbeatInterval and cluster.failureTimeout are whole seconds, "
          + "the interval at least 1s and the timeout at least twice the interval");
    }
    if (mergeIntervalMillis() < 1000) {
      throw new IllegalArgumentException("cluster.mergeInterval must be at least 1s");
    }
    if (raftPort() < 0 || raftPort() > 65535 || raftBootstrapExpect() < 1) {
      throw new IllegalArgumentException("cluster.raft.port must be 0 (http.port + 1000) or a port; "
          + "cluster.raft.bootstrapExpect at least 1");
    }
    if (raftVoters() != 1 && raftVoters() != 3 && raftVoters() != 5) {
      throw new IllegalArgumentException("cluster.raft.voters must be 1, 3 or 5");
    }
    if (raftElectionTimeoutMillis() < 100 || raftDeadVoterTimeoutMillis() < 5000) {
      throw new IllegalArgumentException("cluster.raft.electionTimeout at least 100ms, cluster.raft.deadVoterTimeout "
          + "at least 5s");
    }
    if (logSegmentBytes() < 16 << 10) {
      throw new IllegalArgumentException("snapshot.logSegmentSize must be at least 16KB");
    }
    if (snapshotIntervalMillis() < 1000 || snapshotEveryRevisions() < 1 || snapshotRetain() < 1) {
      throw new IllegalArgumentException("snapshot.interval at least 1s, snapshot.everyRevisions and snapshot.retain "
          + "at least 1");
    }
    io.cairn.model.CheckDefaults checks = checkDefaults(java.util.Set.of());
    if (checks.intervalMillis() < 100 || checks.timeoutMillis() < 1 || checks.timeoutMillis() > checks.intervalMillis()
        || checks.failuresBeforeUnhealthy() < 1 || checks.successesBeforeHealthy() < 1) {
      throw new IllegalArgumentException("checks: interval at least 100ms, timeout positive and at most the interval, "
          + "failuresBeforeUnhealthy and successesBeforeHealthy at least 1");
    }
    if (flappingMaxTransitions() < 1 || flappingWindowMillis() < 1000 || checkBackoffMaxMillis() < 1000) {
      throw new IllegalArgumentException("checks.flapping.maxTransitions at least 1, checks.flapping.window and "
          + "checks.backoff.max at least 1s");
    }
    shutdownGracePeriodMillis();
    nodeTags();
    if (clusterJoin().isEmpty()) {
      throw new IllegalArgumentException("cluster.join must list at least one member (host:port)");
    }
    validateSecurity();
    logFormat();
    logLevel();
    loggerLevels();
    validateDns();
  }

  private void validateDns() {
    if (dnsPort() < 0 || dnsPort() > 65535) {
      throw new IllegalArgumentException("dns.port must be 0 (off) or a port");
    }
    String domain = dnsDomain();
    if (domain.isEmpty() || domain.length() > 200 || !domain.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
        + "(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
      throw new IllegalArgumentException("dns.domain must be a DNS name (labels of letters, digits and -, at most "
          + "200 characters), not '" + string("dns", "domain") + "'");
    }
    long ttl = duration("dns", "ttl");
    if (ttl % 1000 != 0 || ttl / 1000 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("dns.ttl is whole seconds (0s, 5s, 1m)");
    }
  }

  private void validateSecurity() {
    maxHeaderBytes();
    if (idleTimeoutMillis() < 5000 || securityReloadIntervalMillis() < 100) {
      throw new IllegalArgumentException("http.idleTimeout at least 5s, security.reloadInterval at least 100ms");
    }
    if (writesPerSecond() < 0 || writeBurst() < writesPerSecond() || streamsPerCaller() < 1) {
      throw new IllegalArgumentException("security.limits: writesPerSecond at least 0 (0: no limit), writeBurst at "
          + "least writesPerSecond, streamsPerCaller at least 1");
    }
    clientAuth();
    if (tlsCertFile().isBlank() != tlsKeyFile().isBlank()) {
      throw new IllegalArgumentException("security.tls.certFile and security.tls.keyFile go together: set both or neither");
    }
    if (!clientAuth().equals("none") && (!tlsEnabled() || tlsClientCaFile().isBlank())) {
      throw new IllegalArgumentException("security.tls.clientAuth " + clientAuth() + " needs security.tls.certFile, "
          + "keyFile and clientCaFile");
    }
    int clusterTls = (clusterCertFile().isBlank() ? 0 : 1) + (clusterKeyFile().isBlank() ? 0 : 1)
        + (clusterCaFile().isBlank() ? 0 : 1);
    if (clusterTls != 0 && clusterTls != 3) {
      throw new IllegalArgumentException("security.cluster.certFile, keyFile and caFile go together: set all three or none");
    }
    if (!isLoopback(httpHost()) && tokensFile().isBlank() && !clientAuth().equals("required") && !allowInsecure()) {
      throw new IllegalArgumentException("http.host is " + httpHost() + ", reachable from other machines, and nothing "
          + "authenticates callers: set security.tokensFile (or security.tls.clientAuth: required), bind "
          + "http.host: 127.0.0.1, or accept the risk with security.allowInsecure: true");
    }
    requireSecuredCluster("cluster.host", clusterHost());
  }

  /**
   * Refuses a node whose API asks callers for credentials while its cluster port, on {@code host}, is reachable from
   * other machines without mutual TLS between nodes: any process reaching it could join and write the registry.
   *
   * @param setting the setting that chose the host, for the message
   */
  public void requireSecuredCluster(String setting, String host) {
    boolean apiSecured = !tokensFile().isBlank() || tlsEnabled();
    if (apiSecured && !isLoopback(host) && !clusterTlsEnabled() && !allowInsecure()) {
      throw new IllegalArgumentException(setting + " is " + host + ", reachable from other machines, and the API "
          + "asks callers for credentials, but the cluster port admits any process that reaches it (such a process "
          + "could join and write the registry): set security.cluster.certFile, security.cluster.keyFile and "
          + "security.cluster.caFile (mutual TLS between nodes; ./run.sh certs DIR makes them), bind it to "
          + "127.0.0.1, or accept the risk with security.allowInsecure: true");
    }
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

  // ---- typed access ----

  public String nodeId() {
    String id = string("node", "id");
    if (!id.isBlank()) {
      return id;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "node";
    }
    return host.replaceAll("[^A-Za-z0-9._-]", "-") + "-" + httpPort();
  }

  public Path dataDir() {
    return Path.of(string("node", "dataDir"));
  }

  public String httpHost() {
    return string("http", "host");
  }

  public int httpPort() {
    return integer("http", "port");
  }

  public String advertisedHost() {
    String advertised = string("http", "advertisedHost");
    if (!advertised.isBlank()) {
      return advertised;
    }
    return httpHost().equals("0.0.0.0") ? clusterHost() : httpHost();
  }

  public int httpInstances() {
    int n = integer("http", "instances");
    return n > 0 ? n : Runtime.getRuntime().availableProcessors();
  }

  public int maxBodyBytes() {
    return integer("http", "maxBodyBytes");
  }

  public int maxHeaderBytes() {
    return integer("http", "maxHeaderBytes");
  }

  public long idleTimeoutMillis() {
    return duration("http", "idleTimeout");
  }

  /** How often a stream that has nothing to say still says something, so that http.idleTimeout never closes it. */
  public long keepAliveMillis() {
    return Math.min(10_000, idleTimeoutMillis() / 2);
  }

  // ---- security ----

  /** The tokens file, or blank for none. */
  public String tokensFile() {
    return string("security", "tokensFile");
  }

  public long securityReloadIntervalMillis() {
    return duration("security", "reloadInterval");
  }

  public boolean allowInsecure() {
    return bool("security", "allowInsecure");
  }

  /** The jcasbin model file, or blank for the shipped model. */
  public String aclModel() {
    return string("security.acl", "model");
  }

  /** The jcasbin policy file, or blank for none (every authenticated caller may do everything). */
  public String aclPolicy() {
    return string("security.acl", "policy");
  }

  public String tlsCertFile() {
    return string("security.tls", "certFile");
  }

  public String tlsKeyFile() {
    return string("security.tls", "keyFile");
  }

  public boolean tlsEnabled() {
    return !tlsCertFile().isBlank();
  }

  public String tlsClientCaFile() {
    return string("security.tls", "clientCaFile");
  }

  /** none, optional or required. */
  public String clientAuth() {
    String v = string("security.tls", "clientAuth").trim().toLowerCase(Locale.ROOT);
    if (!v.equals("none") && !v.equals("optional") && !v.equals("required")) {
      throw new IllegalArgumentException("security.tls.clientAuth is none, optional or required, not '" + v + "'");
    }
    return v;
  }

  public String clusterCertFile() {
    return string("security.cluster", "certFile");
  }

  public String clusterKeyFile() {
    return string("security.cluster", "keyFile");
  }

  public String clusterCaFile() {
    return string("security.cluster", "caFile");
  }

  public boolean clusterTlsEnabled() {
    return !clusterCertFile().isBlank();
  }

  /** Where audit lines go: a file, or "-" for the node's own log. */
  public String auditFile() {
    String f = string("security.audit", "file");
    return f.isBlank() ? dataDir().resolve("audit.log").toString() : f;
  }

  public int writesPerSecond() {
    return integer("security.limits", "writesPerSecond");
  }

  public int writeBurst() {
    return integer("security.limits", "writeBurst");
  }

  public int streamsPerCaller() {
    return integer("security.limits", "streamsPerCaller");
  }

  /** The gRPC port: http.port unless grpc.port names another. */
  public int grpcPort() {
    int port = integer("grpc", "port");
    return port > 0 ? port : httpPort();
  }

  public int grpcMaxClients() {
    return integer("grpc", "maxClients");
  }

  public long grpcClientTimeoutMillis() {
    return duration("grpc", "clientTimeout");
  }

  /** The datacenter name the Consul-compatible API gives and accepts. */
  public String consulDatacenter() {
    String dc = string("consul", "datacenter");
    if (dc.isEmpty()) {
      throw new IllegalArgumentException("consul.datacenter must not be empty");
    }
    return dc;
  }

  public String clusterName() {
    return string("cluster", "name");
  }

  public String clusterHost() {
    return string("cluster", "host");
  }

  public int clusterPort() {
    return integer("cluster", "port");
  }

  public boolean clusterPortAutoIncrement() {
    return bool("cluster", "portAutoIncrement");
  }

  public List<String> clusterJoin() {
    return list("cluster", "join");
  }

  private List<String> list(String section, String key) {
    Object value = section(section).getValue(key);
    List<String> items = new ArrayList<>();
    if (value instanceof JsonArray) {
      for (Object o : (JsonArray) value) {
        items.add(String.valueOf(o).trim());
      }
    } else if (value != null) {
      for (String s : String.valueOf(value).split(",")) {
        if (!s.isBlank()) {
          items.add(s.trim());
        }
      }
    }
    return items;
  }

  public int clusterBackupCount() {
    return integer("cluster", "backupCount");
  }

  public long heartbeatIntervalMillis() {
    return duration("cluster", "heartbeatInterval");
  }

  public long failureTimeoutMillis() {
    return duration("cluster", "failureTimeout");
  }

  public long mergeIntervalMillis() {
    return duration("cluster", "mergeInterval");
  }

  /** The port of this node's Raft server (cluster.raft.port, or http.port + 1000). */
  public int raftPort() {
    int port = integer("cluster.raft", "port");
    return port == 0 ? httpPort() + 1000 : port;
  }

  /** Nodes with empty Raft storage that must see each other before a new cluster forms its Raft group. */
  public int raftBootstrapExpect() {
    return integer("cluster.raft", "bootstrapExpect");
  }

  /** How many voters the Raft group keeps; further nodes are learners. */
  public int raftVoters() {
    return integer("cluster.raft", "voters");
  }

  public long raftDeadVoterTimeoutMillis() {
    return duration("cluster.raft", "deadVoterTimeout");
  }

  public long raftElectionTimeoutMillis() {
    return duration("cluster.raft", "electionTimeout");
  }

  public long snapshotIntervalMillis() {
    return duration("snapshot", "interval");
  }

  public long snapshotEveryRevisions() {
    return integer("snapshot", "everyRevisions");
  }

  /** snapshot.logSegmentSize in bytes: a number with an optional B, KB, MB or GB. */
  public long logSegmentBytes() {
    return size("snapshot", "logSegmentSize");
  }

  /** storage.minFreeBytes: below this much free space on the data directory's file system, writes are refused. */
  public long storageMinFreeBytes() {
    return size("storage", "minFreeBytes");
  }

  /** replication.maxLag.revisions: a node further behind the leader's published revision is not current. */
  public long maxLagRevisions() {
    return integer("replication.maxLag", "revisions");
  }

  /** replication.maxLag.time: a node that has not applied a revision the leader published this long ago is not current. */
  public long maxLagMillis() {
    return duration("replication.maxLag", "time");
  }

  /**
   * registry.maxBytes: the most the registry's instances may take, estimated as their encoded size; "auto" (the
   * default) is an eighth of the heap, which holds three to four times the encoded size besides history and caches.
   */
  public long registryMaxBytes() {
    String v = string("registry", "maxBytes").trim();
    return v.equalsIgnoreCase("auto") ? Runtime.getRuntime().maxMemory() / 8 : size("registry", "maxBytes");
  }

  /** registry.maxInstances: the most instances the registry holds (0: no limit but registry.maxBytes). */
  public long registryMaxInstances() {
    return integer("registry", "maxInstances");
  }

  /** A size: a number with an optional B, KB, MB or GB. */
  private long size(String section, String key) {
    String v = string(section, key).trim().toUpperCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(B|KB|MB|GB)?").matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(section + "." + key + ": a size like 8MB, 512KB or 65536, not '" + v + "'");
    }
    long unit = m.group(2) == null || m.group(2).equals("B") ? 1 : m.group(2).equals("KB") ? 1L << 10
        : m.group(2).equals("MB") ? 1L << 20 : 1L << 30;
    return Long.parseLong(m.group(1)) * unit;
  }

  public int snapshotRetain() {
    return integer("snapshot", "retain");
  }

  /** What a check leaves out, and the check types this node runs. */
  public io.cairn.model.CheckDefaults checkDefaults(java.util.Set<String> types) {
    return new io.cairn.model.CheckDefaults(duration("checks", "interval"), duration("checks", "timeout"),
        integer("checks", "failuresBeforeUnhealthy"), integer("checks", "successesBeforeHealthy"),
        duration("checks", "gracePeriod"), duration("checks", "deregisterAfter"), java.util.Set.copyOf(types));
  }

  public int flappingMaxTransitions() {
    return integer("checks.flapping", "maxTransitions");
  }

  public long flappingWindowMillis() {
    return duration("checks.flapping", "window");
  }

  public long checkBackoffMaxMillis() {
    return duration("checks.backoff", "max");
  }

  public long shutdownGracePeriodMillis() {
    return duration("shutdown", "gracePeriod");
  }

  public String nodeName() {
    String name = string("node", "name");
    return name.isBlank() ? nodeId() : name;
  }

  public String region() {
    return string("node", "region");
  }

  public String zone() {
    return string("node", "zone");
  }

  /** Free-form labels of this node: a list, or a comma-separated string. */
  /** Where a check may connect besides its instance's own address and port (checks.allowedTargets). */
  public CheckTargets checkTargets() {
    return new CheckTargets(list("checks", "allowedTargets"));
  }

  public List<String> nodeTags() {
    return list("node", "tags");
  }

  public int eventHistory() {
    return integer("replication", "eventHistory");
  }

  public long writeTimeoutMillis() {
    return duration("replication", "writeTimeout");
  }

  public long ttlScanIntervalMillis() {
    return duration("health", "ttlScanInterval");
  }

  public long heartbeatBatchMillis() {
    return duration("health", "heartbeatBatch");
  }

  public int maxBulk() {
    return integer("registry", "maxBulk");
  }

  public int queryCacheSize() {
    return integer("registry", "queryCacheSize");
  }

  /** The DNS interface's port (UDP and TCP) on http.host; 0: off. */
  public int dnsPort() {
    return integer("dns", "port");
  }

  /** The zone the DNS interface answers for, in lower case, without leading or trailing dots. */
  public String dnsDomain() {
    String domain = string("dns", "domain").trim().toLowerCase(Locale.ROOT);
    while (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    while (domain.startsWith(".")) {
      domain = domain.substring(1);
    }
    return domain;
  }

  /** The TTL of DNS answers, and of negative answers (the SOA minimum), in seconds. */
  public int dnsTtlSeconds() {
    return (int) (duration("dns", "ttl") / 1000);
  }

  /** dns.whenBehind: answer (from the replica, not authoritative, TTL 0) or refuse (SERVFAIL). */
  public boolean dnsRefuseWhenBehind() {
    String v = string("dns", "whenBehind").trim().toLowerCase(Locale.ROOT);
    if (!v.equals("answer") && !v.equals("refuse")) {
      throw new IllegalArgumentException("dns.whenBehind: answer or refuse, not '" + v + "'");
    }
    return v.equals("refuse");
  }

  // ---- logging ----

  /** text or json. */
  public String logFormat() {
    String v = string("logging", "format").trim().toLowerCase(Locale.ROOT);
    if (!v.equals("text") && !v.equals("json")) {
      throw new IllegalArgumentException("logging.format is text or json, not '" + v + "'");
    }
    return v;
  }

  /** The root logger's level: trace, debug, info, warn, error or off. */
  public String logLevel() {
    return level("logging.level", string("logging", "level"));
  }

  /** Logger name → level, the defaults with every layer's additions. */
  public Map<String, String> loggerLevels() {
    Map<String, String> levels = new java.util.TreeMap<>();
    section(LOGGERS).forEach(e -> levels.put(e.getKey(), level(LOGGERS + "." + e.getKey(), String.valueOf(e.getValue()))));
    return levels;
  }

  private static String level(String key, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!LEVELS.contains(v)) {
      throw new IllegalArgumentException(key + " is one of trace, debug, info, warn, error, off, not '" + value + "'");
    }
    return v;
  }

  /** {@code logging.loggers} as given: a map, or {@code name=level,name=level}. */
  @SuppressWarnings("unchecked")
  private static JsonObject loggerLevels(Object value) {
    if (value instanceof JsonObject) {
      return (JsonObject) value;
    }
    if (value instanceof Map) {
      return new JsonObject(new java.util.LinkedHashMap<>((Map<String, Object>) value));
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

  /** A section by its dotted path: {@code "cluster"}, {@code "cluster.raft"}. */
  private JsonObject section(String path) {
    JsonObject s = json;
    for (String part : path.split("\\.")) {
      s = s.getJsonObject(part);
    }
    return s;
  }

  private String string(String section, String key) {
    Object v = section(section).getValue(key);
    return v == null ? "" : String.valueOf(v);
  }

  private int integer(String section, String key) {
    Object v = section(section).getValue(key);
    if (v instanceof Number) {
      return ((Number) v).intValue();
    }
    try {
      return Integer.parseInt(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(section + "." + key + " must be a whole number, not '" + v + "'");
    }
  }

  private boolean bool(String section, String key) {
    Object v = section(section).getValue(key);
    if (v instanceof Boolean) {
      return (Boolean) v;
    }
    String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(section + "." + key + " must be true or false, not '" + v + "'");
  }

  private long duration(String section, String key) {
    try {
      return Durations.parse(string(section, key));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(section + "." + key + ": " + e.getMessage());
    }
  }

  // ---- loading ----

  private static JsonObject defaults() {
    try (InputStream in = CairnConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return yaml(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
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
