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

  private final JsonObject json;

  private CairnConfig(JsonObject json) {
    this.json = json;
    validate();
  }

  /** Reads every typed value once, so that a bad one stops the node at start-up with the key's name. */
  private void validate() {
    httpPort();
    httpInstances();
    maxBodyBytes();
    clusterPort();
    clusterPortAutoIncrement();
    clusterBackupCount();
    logCapacity();
    batchMax();
    appendsInFlight();
    snapshotEvery();
    snapshotMinIntervalMillis();
    eventHistory();
    writeTimeoutMillis();
    ttlScanIntervalMillis();
    heartbeatBatchMillis();
    maxBulk();
    queryCacheSize();
    if (maxBulk() < 1 || maxBulk() > 1000 || maxBulk() > logCapacity()) {
      // A bulk request is appended in one call, and Hazelcast takes at most 1000 items per call.
      throw new IllegalArgumentException("registry.maxBulk must be between 1 and 1000 and at most replication.logCapacity");
    }
    if (clusterJoin().isEmpty()) {
      throw new IllegalArgumentException("cluster.join must list at least one member (host:port)");
    }
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
    for (String section : merged.fieldNames()) {
      for (String key : merged.getJsonObject(section).fieldNames()) {
        String value = env.get(envName(section, key));
        if (value != null) {
          putDotted(envValues, section + "." + key, value);
        }
      }
    }
    overlay(merged, envValues, "");
    overlay(merged, flagValues, "");
    return new CairnConfig(merged);
  }

  /** {@code cluster.portAutoIncrement} → {@code CAIRN_CLUSTER_PORT_AUTO_INCREMENT}. */
  public static String envName(String section, String key) {
    return ("CAIRN_" + section + "_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2")).toUpperCase(Locale.ROOT);
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
    Object join = section("cluster").getValue("join");
    List<String> members = new ArrayList<>();
    if (join instanceof JsonArray) {
      for (Object o : (JsonArray) join) {
        members.add(String.valueOf(o).trim());
      }
    } else if (join != null) {
      for (String s : String.valueOf(join).split(",")) {
        if (!s.isBlank()) {
          members.add(s.trim());
        }
      }
    }
    return members;
  }

  public int clusterBackupCount() {
    return integer("cluster", "backupCount");
  }

  public int logCapacity() {
    return integer("replication", "logCapacity");
  }

  public int batchMax() {
    return Math.min(1000, Math.max(1, integer("replication", "batchMax")));
  }

  public int appendsInFlight() {
    return Math.max(1, integer("replication", "appendsInFlight"));
  }

  public long snapshotEvery() {
    return integer("replication", "snapshotEvery");
  }

  public long snapshotMinIntervalMillis() {
    return duration("replication", "snapshotMinInterval");
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

  private JsonObject section(String name) {
    return json.getJsonObject(name);
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
    int dot = dotted.indexOf('.');
    if (dot < 0) {
      throw new IllegalArgumentException("unknown option --" + dotted + " (Cairn options look like --http.port=8080)");
    }
    String section = dotted.substring(0, dot);
    JsonObject s = target.getJsonObject(section);
    if (s == null) {
      s = new JsonObject();
      target.put(section, s);
    }
    s.put(dotted.substring(dot + 1), value);
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
