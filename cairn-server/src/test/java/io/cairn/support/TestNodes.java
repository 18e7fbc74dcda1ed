package io.cairn.support;

import io.cairn.CairnNode;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Real Cairn nodes inside the test JVM: each a clustered Vert.x with its own Hazelcast member, on 127.0.0.1, with
 * free ports and a cluster name of its own so tests never meet each other or anything else.
 */
public final class TestNodes implements AutoCloseable {
  private final String clusterName = "cairn-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<Integer> hazelcastPorts = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final List<Vertx> others = new ArrayList<>();
  private final Path dataRoot;

  /** The secret the readiness probe of {@link #start} sends, for nodes that take tokens. */
  private String token;

  public TestNodes withToken(String secret) {
    this.token = secret;
    return this;
  }

  /** The readiness probe of TLS nodes: trusts this CA, and shows the client certificate {@code clientName}. */
  private java.net.http.HttpClient tlsProbe;

  public TestNodes withTls(Path caPem, String clientName) {
    this.tlsProbe = java.net.http.HttpClient.newBuilder().sslContext(Certificates.sslContext(caPem, clientName)).build();
    return this;
  }

  public TestNodes(int expectedMembers) {
    for (int i = 0; i < expectedMembers; i++) {
      hazelcastPorts.add(freePort());
    }
    try {
      dataRoot = Files.createTempDirectory("cairn-test");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public record Node(String id, int httpPort, Vertx vertx, CairnConfig config) {
    public String base() {
      return (config.security().tlsEnabled() ? "https" : "http") + "://127.0.0.1:" + httpPort;
    }
  }

  /** The configuration of member number {@code index} (0-based), with extra overrides laid over it. */
  public JsonObject config(int index, JsonObject extra) {
    JsonArray join = new JsonArray();
    hazelcastPorts.forEach(p -> join.add("127.0.0.1:" + p));
    JsonObject cfg = new JsonObject()
        .put("node", new JsonObject().put("id", "n" + (index + 1)).put("dataDir", dataRoot.resolve("n" + (index + 1)).toString()))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", freePort()).put("instances", 1))
        .put("cluster", new JsonObject().put("name", clusterName).put("host", "127.0.0.1")
            .put("port", hazelcastPorts.get(index)).put("portAutoIncrement", false).put("join", join)
            .put("raft", new JsonObject().put("port", freePort())))
        .put("health", new JsonObject().put("ttlScanInterval", "100ms").put("heartbeatBatch", "50ms"))
        // No DNS unless a test asks for it (with a free port): parallel tests must not meet on 8600.
        .put("dns", new JsonObject().put("port", 0));
    return deepMerge(cfg, extra == null ? new JsonObject() : extra);
  }

  /** Starts Cairn on member {@code index} and waits until it is ready. */
  public Node start(int index, JsonObject extra) {
    CairnConfig cfg = CairnConfig.of(config(index, extra));
    Vertx vertx = clusteredVertx(cfg);
    await(vertx.deployVerticle(new CairnNode(), new DeploymentOptions().setConfig(cfg.toJson()))
        .toCompletionStage().toCompletableFuture(), 60);
    Node node = new Node(cfg.node().id(), cfg.http().port(), vertx, cfg);
    nodes.add(node);
    // Settled: the log knows this node and names a leader (elections run after start).
    java.util.Map<String, String> auth = auth();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      io.vertx.core.json.JsonObject status = probe(node.base() + "/v1/status", auth);
      return status.getString("leader") != null && probe(node.base() + "/v1/nodes", auth)
          .getJsonArray("nodes")
          .stream().map(n -> (JsonObject) n)
          .anyMatch(n -> n.getString("id").equals(node.id()) && n.getString("status").equals("alive"));
    });
    return node;
  }

  public Node start(int index) {
    return start(index, null);
  }

  /** A plain clustered Vert.x on member {@code index} that runs no Cairn: an application using the event bus. */
  public Vertx startPlainMember(int index) {
    Vertx vertx = plainMember(CairnConfig.of(config(index, null)));
    others.add(vertx);
    return vertx;
  }

  /** A clustered Vert.x joining the cluster that {@code cfg} describes, running no Cairn; the caller closes it. */
  public static Vertx plainMember(CairnConfig cfg) {
    HazelcastClusterManager mgr = new HazelcastClusterManager(ClusterSetup.hazelcastConfig(cfg));
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    return await(Vertx.builder().with(options).withClusterManager(mgr).buildClustered()
        .toCompletionStage().toCompletableFuture(), 60);
  }

  public static Vertx clusteredVertx(CairnConfig cfg) {
    HazelcastClusterManager mgr = ClusterSetup.clusterManager(cfg);
    return await(Vertx.builder().with(CairnNode.vertxOptions(new VertxOptions(), cfg)).withClusterManager(mgr)
        .buildClustered().toCompletionStage().toCompletableFuture(), 60);
  }

  private java.util.Map<String, String> auth() {
    return token == null ? java.util.Map.of() : java.util.Map.of("Authorization", "Bearer " + token);
  }

  /** Where each node stands, on one line (for a failed test's message: {@link ClusterStateOnFailure}). */
  public String describe() {
    StringBuilder line = new StringBuilder();
    for (Node n : new ArrayList<>(nodes)) {
      line.append(" [").append(n.id()).append(' ');
      try {
        JsonObject s = probe(n.base() + "/v1/status", auth());
        JsonObject raft = s.getJsonObject("raft", new JsonObject());
        line.append("ready=").append(s.getValue("ready")).append(" role=").append(s.getValue("role"))
            .append(" raft=").append(raft.getValue("state")).append('/').append(raft.getValue("role"))
            .append(" leader=").append(raft.getValue("leader")).append(" term=").append(raft.getValue("term"))
            .append(" quorate=").append(s.getValue("quorate"))
            .append(" applied=").append(raft.getValue("appliedIndex")).append('/').append(raft.getValue("commitIndex"))
            .append(" revision=").append(s.getValue("revision")).append(" voters=").append(raft.getValue("voters"))
            .append(" learners=").append(raft.getValue("learners"));
      } catch (Exception | AssertionError e) {
        line.append("no status: ").append(e);
      }
      line.append(']');
    }
    return line.toString();
  }

  private JsonObject probe(String url, java.util.Map<String, String> auth) throws Exception {
    if (tlsProbe == null || !url.startsWith("https")) {
      return Http.send("GET", url, auth, null).json();
    }
    java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url));
    auth.forEach(b::header);
    return new JsonObject(tlsProbe.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
  }

  public List<Node> nodes() {
    return nodes;
  }

  public void stop(Node node) {
    nodes.remove(node);
    await(node.vertx().close().toCompletionStage().toCompletableFuture(), 30);
  }

  @Override
  public void close() {
    for (Node n : new ArrayList<>(nodes)) {
      try {
        stop(n);
      } catch (RuntimeException ignored) {
        // closing the rest matters more
      }
    }
    for (Vertx v : others) {
      try {
        await(v.close().toCompletionStage().toCompletableFuture(), 30);
      } catch (RuntimeException ignored) {
        // closing the rest matters more
      }
    }
    TempDirs.delete(dataRoot);
  }

  /**
   * The ports this test JVM hands out: a slice of 20000-31999 of its own per fork (Maven runs up to four test JVMs
   * at once and passes each its number as cairn.test.fork), so that one JVM never takes a port another JVM has handed
   * to a node it has not started yet (a cluster's later members' ports are chosen when the cluster is made). Below
   * Linux's ephemeral range (32768 and up): a port the kernel hands out for outgoing connections could be taken by
   * one (Hazelcast connects to its peers) before the node binds it.
   */
  private static final int FORKS = 4;
  private static final int SLICE = 12_000 / FORKS;
  private static final int SLICE_START = 20_000 + SLICE * (Math.floorMod(Integer.getInteger("cairn.test.fork", 1) - 1, FORKS));
  /** Next candidate port; starts at a random point of the slice so that JVMs run one after another rarely meet. */
  private static int nextPort = SLICE_START + java.util.concurrent.ThreadLocalRandom.current().nextInt(SLICE);

  /** A free port on 127.0.0.1 from this JVM's slice. */
  public static synchronized int freePort() {
    while (true) {
      int port = nextPort++;
      if (port >= SLICE_START + SLICE) {
        nextPort = SLICE_START;
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        return s.getLocalPort();
      } catch (IOException inUse) {
        // try the next one
      }
    }
  }

  public static <T> T await(java.util.concurrent.CompletableFuture<T> f, int seconds) {
    try {
      return f.get(seconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject deepMerge(JsonObject base, JsonObject top) {
    for (String key : top.fieldNames()) {
      Object v = top.getValue(key);
      if (v instanceof JsonObject && base.getValue(key) instanceof JsonObject) {
        deepMerge(base.getJsonObject(key), (JsonObject) v);
      } else {
        base.put(key, v);
      }
    }
    return base;
  }
}
