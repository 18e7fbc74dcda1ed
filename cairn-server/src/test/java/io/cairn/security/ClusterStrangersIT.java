package io.cairn.security;

import io.cairn.support.Certificates;
import io.cairn.support.HazelcastStranger;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.SecurityFiles;
import io.cairn.support.SseStream;
import io.cairn.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A secured cluster (tokens on the API, mutual TLS between nodes) with two strangers on its member port: a Cairn
 * node started without the cluster's certificate, same cluster name, joining through an honest node's member port;
 * and a plain Hazelcast member that forges the cluster's shared maps. While the test keeps registering through every
 * honest node, the strangers try to register, deregister, drain, disable and heartbeat, to join the Raft group and
 * lead it, and to read the events. None of it may take: no command and no Raft configuration enters the log because
 * of them, no honest node is marked failed or left, the strangers are never listed, and every honest replica is
 * equal at the end. Then an honest node joins while the Hazelcast member forges a decision that would form a group
 * of its own around it: it joins the running group instead.
 *
 * <p>The strangers stay half a minute from the moment both are in (the stranger node answers on its API, the
 * Hazelcast member is up and forging), {@code -Dcairn.strangersSeconds=60} for a minute, and at least until
 * every honest node has said it did not admit the stranger node. The nodes remove a voter gone from the members for
 * 10 s ({@code cluster.raft.deadVoterTimeout}, 30 s by default): the half minute is three such periods, so a voter
 * the strangers made look gone would be removed, and the test would see it, well within it.
 */
class ClusterStrangersIT {
  private static final String SECRET = "s3cret-admin-token";
  private static final Map<String, String> AUTH = Map.of("Authorization", "Bearer " + SECRET);
  private static final Set<String> HONEST = Set.of("p1", "p2", "p3");
  /** How long the strangers stay on the member port, from the moment both are in. */
  private static final Duration STRANGERS_FOR = Duration.ofSeconds(Integer.getInteger("cairn.strangersSeconds", 30));
  /** A bound for slow machines: both strangers in within this, and refused by every honest node by its end. */
  private static final Duration STRANGERS_ARRIVE = Duration.ofSeconds(180);

  private JarCluster cluster;
  private Process hazelcast;
  private Vertx vertx;

  @AfterEach
  void stop() throws Exception {
    if (hazelcast != null) {
      hazelcast.destroyForcibly().waitFor();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void strangersOnTheMemberPortChangeNothingASecuredClusterServes() throws Exception {
    Path certs = Certificates.make();
    Path tokens = SecurityFiles.tokens(SECRET, "admin");
    cluster = new JarCluster(5, false, "--cluster.raft.bootstrapExpect=3", "--cluster.raft.deadVoterTimeout=10s");
    String[] secured = {"--security.tokensFile=" + tokens,
        "--security.cluster.certFile=" + certs.resolve("node.pem"),
        "--security.cluster.keyFile=" + certs.resolve("node-key.pem"),
        "--security.cluster.caFile=" + certs.resolve("ca.pem")};
    for (int i = 0; i < 3; i++) {
      cluster.start(i, secured);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitHealthy(cluster.node(i), Duration.ofSeconds(180));
    }
    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> honest().allMatch(this::whole));
    long before = status(cluster.node(0)).getLong("revision");
    // The strangers' processes start first; the watchers, from the revision before them, open while they start.
    JarCluster.Node stranger = cluster.start(3);
    Path hazelcastLog = cluster.workDir().resolve("hazelcast-stranger.log");
    hazelcast = HazelcastStranger.start(hazelcastLog, cluster.clusterName(), TestNodes.freePort(),
        cluster.joinList(), "p1,p2,p3", "p5", cluster.node(4).raftAddress());
    vertx = Vertx.vertx();
    List<SseStream> watchers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      watchers.add(SseStream.open(vertx, cluster.node(i).base() + "/v1/events?since=" + before + "&token=" + SECRET,
          null));
    }
    // What the stranger node serves of the events (it has no security): it must never see the cluster's.
    SseStream strangerEvents = SseStream.reconnecting(vertx, () -> stranger.base() + "/v1/events?since=0", null);
    watchers.add(strangerEvents);
    long started = System.currentTimeMillis();
    long bothIn = 0;
    int written = 0;
    Set<String> strangerAnswers = new HashSet<>();
    while (bothIn == 0 || System.currentTimeMillis() < bothIn + STRANGERS_FOR.toMillis() || !refusedEverywhere()) {
      if (System.currentTimeMillis() - started > STRANGERS_ARRIVE.plus(STRANGERS_FOR).toMillis()) {
        throw new AssertionError("the strangers not both in (" + strangerAnswers.size() + " answers of the stranger"
            + " node), or not refused by every honest node, after " + STRANGERS_ARRIVE.plus(STRANGERS_FOR) + ":\n"
            + Files.readString(hazelcastLog) + "\n" + cluster.logs(40));
      }
      JarCluster.Node through = cluster.node(written % 3);
      String id = "honest-" + written;
      Http.Response r = Http.send("PUT", through.base() + "/v1/services/" + id, AUTH,
          "{\"name\":\"payments\",\"address\":\"127.0.0.1\",\"port\":" + (9000 + written) + "}");
      assertThat(r.status()).as("a registration through %s while strangers are on the member port: %s", through.id,
          r.body()).isIn(200, 201);
      written++;
      strangerAnswers.addAll(tryToTakeOver(stranger));
      for (int i = 0; i < 3; i++) {
        assertHonestView(cluster.node(i));
      }
      if (bothIn == 0 && !strangerAnswers.isEmpty() && Files.readString(hazelcastLog).contains("stranger joined")) {
        bothIn = System.currentTimeMillis(); // the stranger node serves its API; the Hazelcast member forges
      }
    }
    assertThat(stranger.running()).as("the stranger node ran throughout:\n" + stranger.logTail(40)).isTrue();
    assertThat(hazelcast.isAlive()).as("the plain Hazelcast member ran throughout").isTrue();
    assertThat(strangerAnswers).as("what the stranger node answered its own callers").noneMatch(s -> s.startsWith("2"));

    assertThat(strangerEvents.events).as("events the stranger node served")
        .noneMatch(e -> e.encode().contains("honest-"));

    int writes = written;
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> honest()
        .map(ClusterStrangersIT::digest).distinct().count() == 1 && honest().allMatch(this::whole));

    for (int i = 0; i < 3; i++) {
      JarCluster.Node n = cluster.node(i);
      SseStream events = watchers.get(i);
      await().atMost(Duration.ofSeconds(30)).until(() -> events.serviceIds("serviceRegistered").size() >= writes);
      for (JsonObject e : events.events) {
        JsonObject data = e.getJsonObject("data");
        String type = e.getString("event");
        assertThat(type).as("event on %s: %s", n.id, e).isIn("serviceRegistered", "leaderElected");
        if (type.equals("serviceRegistered")) {
          assertThat(data.getJsonObject("service").getString("id")).startsWith("honest-");
        } else {
          assertThat(data.getString("leader")).isIn(HONEST);
        }
      }
      assertThat(events.serviceIds("serviceRegistered")).hasSize(writes).doesNotHaveDuplicates();
      assertThat(Http.send("GET", n.base() + "/v1/services/evil-1", AUTH, null).status()).isEqualTo(404);
    }
    String logs = cluster.logs(400);
    assertThat(logs).as("no honest node added a stranger to the Raft group").doesNotContain("node p4 joins");
    for (int i = 0; i < 3; i++) {
      assertThat(cluster.node(i).logTail(2000)).as("%s saw the stranger and did not admit it", cluster.node(i).id)
          .contains("did not answer as a Cairn node");
    }

    // A late honest node, with a forged decision naming it alone in cairn.state: it joins the running group.
    JarCluster.Node late = cluster.start(4, secured);
    cluster.awaitHealthy(late, Duration.ofSeconds(180));
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> {
      JsonObject raft = status(cluster.node(0)).getJsonObject("raft");
      return raft.getJsonArray("voters").contains("p5") || raft.getJsonArray("learners").contains("p5");
    });
    JsonObject lateStatus = status(late);
    assertThat(lateStatus.getString("leader")).as("p5 follows the running group's leader")
        .isEqualTo(status(cluster.node(0)).getString("leader")).isIn(HONEST);
    assertThat(lateStatus.getJsonObject("raft").getJsonArray("voters").getList()).as("the voters p5 knows")
        .containsAnyElementsOf(HONEST);
    assertThat(late.logTail(400)).as("p5 never formed a group of its own").doesNotContain("forms the Raft group");
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> digest(late).equals(digest(cluster.node(0))));
  }

  /** Every honest node has said that the stranger node did not answer as a Cairn node, and not admitted it. */
  private boolean refusedEverywhere() {
    return honest().allMatch(n -> n.logTail(2000).contains("did not answer as a Cairn node"));
  }

  /** The stranger node's own API (it has no security): every write a registry offers. Returns the status lines. */
  private static List<String> tryToTakeOver(JarCluster.Node stranger) {
    List<String> statuses = new ArrayList<>();
    String[][] attempts = {
        {"PUT", "/v1/services/evil-1", "{\"name\":\"payments\",\"address\":\"192.0.2.66\",\"port\":443}"},
        {"POST", "/v1/services", "{\"name\":\"payments\",\"address\":\"192.0.2.66\",\"port\":443}"},
        {"DELETE", "/v1/services/honest-0", null},
        {"POST", "/v1/services/honest-0/drain", null},
        {"POST", "/v1/services/honest-0/disable", null},
        {"PUT", "/v1/services/honest-0/heartbeat", null},
        {"POST", "/v1/services/honest-0/check", null},
        {"GET", "/v1/services/honest-0", null}};
    for (String[] a : attempts) {
      try {
        statuses.add(Http.send(a[0], stranger.base() + a[1], Map.of(), a[2]).status() + " " + a[0] + " " + a[1]);
      } catch (RuntimeException notListening) {
        // still starting
      }
    }
    return statuses;
  }

  /** Only the honest nodes, alive, in the node list and the Raft group; an honest leader. */
  private void assertHonestView(JarCluster.Node n) {
    JsonObject status = status(n);
    Set<String> group = new HashSet<>();
    status.getJsonObject("raft").getJsonArray("voters").forEach(v -> group.add((String) v));
    status.getJsonObject("raft").getJsonArray("learners").forEach(l -> group.add((String) l));
    assertThat(group).as("the Raft group as %s sees it", n.id).isSubsetOf(HONEST);
    if (status.getString("leader") != null) {
      assertThat(status.getString("leader")).isIn(HONEST);
    }
    Map<String, String> nodes = nodes(n);
    assertThat(nodes.keySet()).as("the nodes %s lists", n.id).isEqualTo(HONEST);
    assertThat(Set.copyOf(nodes.values())).as("their states on %s", n.id).containsOnly("alive");
  }

  private boolean whole(JarCluster.Node n) {
    JsonObject s = status(n);
    return s.getJsonObject("raft").getJsonArray("voters").size() == 3 && s.getString("leader") != null
        && nodes(n).values().stream().filter("alive"::equals).count() == 3;
  }

  private java.util.stream.Stream<JarCluster.Node> honest() {
    return java.util.stream.IntStream.range(0, 3).mapToObj(cluster::node);
  }

  private static JsonObject status(JarCluster.Node n) {
    return Http.send("GET", n.base() + "/v1/status", AUTH, null).json();
  }

  private static String digest(JarCluster.Node n) {
    return Http.send("GET", n.base() + "/v1/stats", AUTH, null).json().getJsonObject("replica").getString("digest");
  }

  private static Map<String, String> nodes(JarCluster.Node n) {
    Map<String, String> states = new java.util.HashMap<>();
    Http.send("GET", n.base() + "/v1/nodes", AUTH, null).json().getJsonArray("nodes").forEach(o ->
        states.put(((JsonObject) o).getString("id"), ((JsonObject) o).getString("status")));
    return states;
  }
}
