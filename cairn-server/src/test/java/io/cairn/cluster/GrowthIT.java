package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster that grows (issue 12, "Growth"), on fat-jar processes that all run with {@code --cluster.raft.voters=5}
 * and {@code --cluster.raft.deadVoterTimeout=6s}: three nodes form the group; a 4th and a 5th started later join as
 * learners and are promoted to voters; a 6th stays a learner, reads what others wrote and takes writes; a voter
 * killed for good is removed after the dead-voter timeout and the learner takes its place, the group keeping five
 * voters; the removed node, restarted, comes back as a learner; the leader killed, the grown group (three of its
 * voters promoted learners) elects another. Each test builds on the one before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrowthIT {
  private static final Duration WITHIN = Duration.ofSeconds(120);
  private static final long DEAD_VOTER_TIMEOUT_MILLIS = 6000;
  private JarCluster cluster;
  /** The voter the dead-voter test killed, restarted by the last test. */
  private JarCluster.Node killed;

  @BeforeAll
  void startThree() throws Exception {
    cluster = new JarCluster(6, false, "--cluster.raft.bootstrapExpect=3", "--cluster.raft.voters=5",
        "--cluster.raft.deadVoterTimeout=6s");
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitHealthy(cluster.node(i), WITHIN);
    }
    awaitOnEvery(running(), WITHIN, "three voters, a leader", s -> s.getString("leader") != null
        && voters(s).size() == 3 && learners(s).isEmpty() && s.getJsonObject("raft").getInteger("votersWanted") == 5);
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void aFourthAndAFifthNodeJoinAsLearnersAndArePromotedToVoters() throws Exception {
    assertThat(register(cluster.node(0), "before-growth-1")).isEqualTo(201);
    Map<String, List<String>> shown = new java.util.LinkedHashMap<>();
    for (int index : new int[] {3, 4}) {
      JarCluster.Node joiner = cluster.start(index);
      shown.put(joiner.id, rolesUntilVoter(joiner));
      cluster.awaitHealthy(joiner, WITHIN);
      int expected = index + 1;
      awaitOnEvery(running(), WITHIN, expected + " voters", s -> voters(s).size() == expected && learners(s).isEmpty()
          && voters(s).contains(joiner.id));
    }
    // Everything written before is on the new voters.
    for (int index : new int[] {3, 4}) {
      assertThat(Http.get(cluster.node(index).base() + "/v1/services/before-growth-1").status())
          .as("an instance registered before " + cluster.node(index).id + " joined, read on it").isEqualTo(200);
    }
    awaitOnEvery(running(), WITHIN, "five voters", s -> voters(s).size() == 5
        && s.getJsonObject("raft").getString("role").equals("voter"));
    // What GET /v1/status said of each joiner, in order: its own raft.role (raft.state), and whether a voter's
    // raft.learners listed it before its raft.voters did (a joiner may be promoted before its own API answers).
    System.out.printf("growth: the joiners' own raft.role (raft.state), in order, and whether p1 listed them as "
        + "learners first: %s%n", shown);
    for (Map.Entry<String, List<String>> e : shown.entrySet()) {
      List<String> seen = e.getValue();
      assertThat(seen).as(e.getKey() + " seen as a learner (its own raft.role, or p1's raft.learners) before a voter: "
          + seen).anyMatch(r -> r.startsWith("learner"));
      assertThat(seen).as(e.getKey() + "'s own raft.role says voter only once it is one (raft.state follower, leader "
          + "or candidate): " + seen).allMatch(r -> !r.startsWith("voter") || r.matches("voter \\((follower|leader|"
          + "candidate)\\)"));
    }
  }

  @Test
  @Order(2)
  void aSixthNodeStaysALearnerServesReadsAndTakesWrites() throws Exception {
    JarCluster.Node sixth = cluster.start(5);
    cluster.awaitHealthy(sixth, WITHIN);
    awaitOnEvery(running(), WITHIN, "five voters and the sixth node a learner", s ->
        voters(s).size() == 5 && learners(s).equals(List.of(sixth.id)) && !voters(s).contains(sixth.id));
    // It stays a learner: several rounds of the leader's membership look (once a second) change nothing.
    org.awaitility.Awaitility.await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(250)).until(() -> {
          JsonObject s = sixth.status();
          return s.getJsonObject("raft").getString("role").equals("learner") && voters(s).size() == 5;
        });

    Map<String, long[]> before = indexes();
    // A registration made on a voter is readable on the learner.
    Http.Response onVoter = Http.put(cluster.node(1).base() + "/v1/services/read-on-learner-1", body("read-on-learner"));
    assertThat(onVoter.status()).isEqualTo(201);
    awaitTrue(WITHIN, "the learner reads what a voter took", () ->
        Http.get(sixth.base() + "/v1/services/read-on-learner-1").status() == 200);
    // The learner takes a write (forwarded to the leader) and reads it back at once.
    Http.Response onLearner = Http.put(sixth.base() + "/v1/services/written-on-learner-1", body("written-on-learner"));
    assertThat(onLearner.status()).as("a write through the learner: " + onLearner.body()).isEqualTo(201);
    assertThat(Http.get(sixth.base() + "/v1/services/written-on-learner-1").status())
        .as("read-your-writes on the learner").isEqualTo(200);
    awaitTrue(WITHIN, "a voter reads what the learner took", () ->
        Http.get(cluster.node(0).base() + "/v1/services/written-on-learner-1").status() == 200);

    // raft.commitIndex and raft.appliedIndex are there and advance past both writes, on every node.
    long revision = Math.max(onVoter.revisionHeader(), onLearner.revisionHeader());
    assertThat(revision).as("the writes' revisions").isPositive();
    awaitOnEvery(running(), WITHIN, "commitIndex and appliedIndex at revision " + revision, s -> {
      JsonObject raft = s.getJsonObject("raft");
      long[] was = before.get(s.getString("node"));
      return raft.getLong("commitIndex") >= revision && raft.getLong("appliedIndex") >= revision
          && raft.getLong("commitIndex") > was[0] && raft.getLong("appliedIndex") > was[1];
    });
    System.out.printf("growth: commit/applied index before the writes %s, after %s%n", show(before), show(indexes()));
  }

  @Test
  @Order(3)
  void aDeadVoterIsRemovedAfterTheTimeoutAndTheLearnerTakesItsPlace() throws Exception {
    JarCluster.Node learner = cluster.node(5);
    JarCluster.Node leader = cluster.leader();
    JarCluster.Node victim = null;
    for (int i = 4; i >= 0 && victim == null; i--) {
      if (cluster.node(i) != leader) {
        victim = cluster.node(i);
      }
    }
    JarCluster.Node dead = victim;
    killed = dead;
    assertThat(voters(learner.status())).contains(dead.id);

    long killedAt = System.nanoTime();
    cluster.kill(dead);
    List<JarCluster.Node> survivors = running();
    // Watch the leader's view (the first to change): when does the dead voter leave the voters?
    long removedAfter = -1;
    long deadline = killedAt + WITHIN.toNanos();
    while (removedAfter < 0) {
      JsonObject s = leader.statusOrNull();
      if (s != null && !voters(s).isEmpty() && !voters(s).contains(dead.id)) {
        removedAfter = (System.nanoTime() - killedAt) / 1_000_000;
      } else if (System.nanoTime() > deadline) {
        throw new AssertionError(dead.id + " still a voter " + WITHIN + " after it was killed:\n" + cluster.views()
            + cluster.logs(40));
      }
      JarCluster.pause(100);
    }
    awaitOnEvery(survivors, WITHIN, "five voters without " + dead.id + ", with " + learner.id, s ->
        voters(s).size() == 5 && !voters(s).contains(dead.id) && voters(s).contains(learner.id)
            && learners(s).isEmpty());
    long replacedAfter = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(learner.status().getJsonObject("raft").getString("role")).isEqualTo("voter");
    System.out.printf("growth: voter %s killed; out of the voters after %d ms, %s a voter in its place after %d ms "
        + "(deadVoterTimeout %d ms)%n", dead.id, removedAfter, learner.id, replacedAfter, DEAD_VOTER_TIMEOUT_MILLIS);
    assertThat(removedAfter).as("ms from the kill until the dead voter left the voters: not before the timeout")
        .isGreaterThanOrEqualTo(DEAD_VOTER_TIMEOUT_MILLIS);

    // The group of five goes on taking writes, through the new voter too, and its replicas agree.
    assertWrites(cluster.node(0), "after-replacement-1");
    assertWrites(learner, "after-replacement-2");
    awaitTrue(WITHIN, "every survivor has both writes and the same digest", () -> {
      TreeSet<String> digests = new TreeSet<>();
      for (JarCluster.Node n : survivors) {
        if (Http.get(n.base() + "/v1/services/after-replacement-1").status() != 200
            || Http.get(n.base() + "/v1/services/after-replacement-2").status() != 200) {
          return false;
        }
        digests.add(n.digest());
      }
      return digests.size() == 1;
    });
  }

  @Test
  @Order(4)
  void theRemovedVoterRestartedComesBackAsALearner() throws Exception {
    JarCluster.Node removed = killed;
    assertThat(removed).as("the node killed by the previous test").isNotNull();
    cluster.start(removed.index);
    cluster.awaitHealthy(removed, WITHIN);
    // Six nodes: five voters and one learner, every node alive everywhere, replicas equal.
    cluster.awaitWhole(WITHIN);
    assertThat(removed.status().getJsonObject("raft").getString("role")).isEqualTo("learner");
    assertThat(Http.get(removed.base() + "/v1/services/after-replacement-2").status()).isEqualTo(200);
  }

  @Test
  @Order(5)
  void theGrownGroupElectsANewLeaderWhenItsLeaderDies() throws Exception {
    // Three of the five voters were learners promoted under this leader: they must vote (and stand) once it is gone.
    JarCluster.Node leader = cluster.leader();
    long term = leader.status().getLong("term");
    cluster.kill(leader);
    List<JarCluster.Node> survivors = running();
    long killedAt = System.nanoTime();
    awaitOnEvery(survivors, WITHIN, "a new leader with a higher term", s -> s.getString("leader") != null
        && !s.getString("leader").equals(leader.id) && s.getLong("term") > term);
    System.out.printf("growth: leader %s killed; a new leader everywhere after %d ms%n", leader.id,
        (System.nanoTime() - killedAt) / 1_000_000);
    assertThat((System.nanoTime() - killedAt) / 1_000_000).as("ms until the grown group has a new leader")
        .isLessThan(30_000);
    assertWrites(survivors.get(0), "after-leader-kill-1");
  }

  // ---------------------------------------------------------------- helpers

  /**
   * What GET /v1/status shows of the joiner, each change in order, until it is a voter of the group it sees (in its
   * own raft.voters, following or leading): its own "raft.role (raft.state)", and "learner (in p1's raft.learners)"
   * once the first node lists it as a learner. The first node is watched from a thread of its own: a joiner that is
   * still starting may hold a request for a second or two, and its learner phase may be over before it answers.
   */
  private List<String> rolesUntilVoter(JarCluster.Node joiner) throws InterruptedException {
    List<String> shown = java.util.Collections.synchronizedList(new ArrayList<>());
    JarCluster.Node first = cluster.node(0);
    java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread watcher = new Thread(() -> {
      while (watching.get()) {
        JsonObject f = first.statusOrNull();
        if (f != null && learners(f).contains(joiner.id) && !voters(f).contains(joiner.id)) {
          shown.add("learner (in " + first.id + "'s raft.learners)");
          return;
        }
        JarCluster.pause(50);
      }
    }, "growth-watch-" + first.id);
    watcher.setDaemon(true);
    watcher.start();
    try {
      long deadline = System.nanoTime() + WITHIN.toNanos();
      String last = null;
      while (true) {
        if (!joiner.running()) {
          throw new AssertionError(joiner.id + " exited with status " + joiner.process().exitValue() + ":\n"
              + joiner.logTail(80));
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(joiner.id + " not a voter after " + WITHIN + " (shown " + shown + "):\n"
              + cluster.views() + cluster.logs(40));
        }
        JsonObject s = joiner.statusOrNull();
        if (s != null) {
          JsonObject raft = s.getJsonObject("raft");
          String now = raft.getString("role") + " (" + raft.getString("state") + ")";
          if (!now.equals(last)) {
            shown.add(now);
            last = now;
          }
          if (raft.getString("role").equals("voter") && voters(s).contains(joiner.id)
              && List.of("follower", "leader", "candidate").contains(raft.getString("state"))) {
            return new ArrayList<>(shown);
          }
        }
        JarCluster.pause(50);
      }
    } finally {
      watching.set(false);
      watcher.join(10_000);
    }
  }

  /** Every started node that still runs. */
  private List<JarCluster.Node> running() {
    List<JarCluster.Node> out = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i).running()) {
        out.add(cluster.node(i));
      }
    }
    return out;
  }

  /** Until every one of {@code nodes} shows a /v1/status that passes {@code test}. */
  private void awaitOnEvery(List<JarCluster.Node> nodes, Duration within, String what, Predicate<JsonObject> test) {
    awaitTrue(within, what, () -> {
      for (JarCluster.Node n : nodes) {
        JsonObject s = n.statusOrNull();
        if (s == null || !test.test(s)) {
          return false;
        }
      }
      return true;
    });
  }

  private void awaitTrue(Duration within, String what, java.util.concurrent.Callable<Boolean> condition) {
    try {
      org.awaitility.Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
          .until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(what + ": not after " + within + ":\n" + cluster.views() + cluster.logs(40), e);
    }
  }

  /** Each running node's raft {commitIndex, appliedIndex}, by node id. */
  private Map<String, long[]> indexes() {
    Map<String, long[]> out = new HashMap<>();
    for (JarCluster.Node n : running()) {
      JsonObject raft = n.status().getJsonObject("raft");
      assertThat(raft.getValue("commitIndex")).as(n.id + " raft.commitIndex").isInstanceOf(Number.class);
      assertThat(raft.getValue("appliedIndex")).as(n.id + " raft.appliedIndex").isInstanceOf(Number.class);
      out.put(n.id, new long[] {raft.getLong("commitIndex"), raft.getLong("appliedIndex")});
    }
    return out;
  }

  private static String show(Map<String, long[]> indexes) {
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(indexes).forEach((id, ci) -> sb.append(id).append('=').append(ci[0]).append('/')
        .append(ci[1]).append(' '));
    return sb.toString().trim();
  }

  private static List<String> voters(JsonObject status) {
    return strings(status.getJsonObject("raft").getJsonArray("voters"));
  }

  private static List<String> learners(JsonObject status) {
    return strings(status.getJsonObject("raft").getJsonArray("learners"));
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    a.forEach(o -> out.add((String) o));
    return out;
  }

  private static String body(String name) {
    return new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", 9000).encode();
  }

  /**
   * A registration through {@code through} is accepted at once. When it is not, the failure says what the node
   * answered and showed, and how long it took until it accepted one (probing for up to a minute).
   */
  private void assertWrites(JarCluster.Node through, String id) {
    Http.Response first = Http.put(through.base() + "/v1/services/" + id, body(id.substring(0, id.lastIndexOf('-'))));
    if (first.status() == 201) {
      return;
    }
    String shown = String.valueOf(through.statusOrNull());
    long start = System.nanoTime();
    long acceptedAfter = -1;
    while (acceptedAfter < 0 && System.nanoTime() - start < Duration.ofSeconds(60).toNanos()) {
      JarCluster.pause(250);
      if (register(through, id) == 201) {
        acceptedAfter = (System.nanoTime() - start) / 1_000_000;
      }
    }
    throw new AssertionError("a registration through " + through.id + " answered " + first.status() + " "
        + first.body() + " (its /v1/status: " + shown + "); it accepted one "
        + (acceptedAfter < 0 ? "not within 60 s" : acceptedAfter + " ms later") + ":\n" + cluster.views());
  }

  private static int register(JarCluster.Node through, String id) {
    return Http.put(through.base() + "/v1/services/" + id, body(id.substring(0, id.lastIndexOf('-')))).status();
  }

}
