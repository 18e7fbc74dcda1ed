package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A whole cluster of jar processes restarted from its data directories: after a clean stop of every node, and after
 * every node was SIGKILLed at once a second after the last acknowledged write. Every instance comes back, with its
 * id and data, on every node.
 */
class ColdRestartIT {
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void registerMany(String prefix, int count) {
    for (int i = 0; i < count; i++) {
      JarCluster.Node through = cluster.node(i % cluster.size());
      JsonObject body = new JsonObject().put("name", prefix).put("address", "10.0.0." + (i % 250 + 1)).put("port", 8000 + i)
          .put("version", "1.2." + i).put("tags", new JsonArray().add("t" + (i % 3)))
          .put("metadata", new JsonObject().put("n", Integer.toString(i)));
      assertThat(Http.put(through.base() + "/v1/services/" + prefix + "-" + i, body.encode()).status()).isEqualTo(201);
    }
  }

  /** Each instance as "id address port version tags metadata", from one node. */
  private static Set<String> definitions(JarCluster.Node node) {
    Set<String> out = new TreeSet<>();
    for (Object o : Http.get(node.base() + "/v1/services?status=any").json().getJsonArray("services")) {
      JsonObject e = (JsonObject) o;
      out.add(e.getString("id") + " " + e.getString("address") + " " + e.getInteger("port") + " "
          + e.getString("version") + " " + e.getJsonArray("tags") + " " + e.getJsonObject("metadata"));
    }
    return out;
  }

  private void restartAll() throws Exception {
    cluster.startWhole(Duration.ofSeconds(120));
  }

  @Test
  void everyInstanceIsBackAfterACleanStopAndAfterEveryNodeWasKilledAtOnce() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startWhole(Duration.ofSeconds(90));
    registerMany("before-stop", 60);
    Set<String> expected = definitions(cluster.node(0));
    assertThat(expected).hasSize(60);

    for (int i = 0; i < cluster.size(); i++) {
      assertThat(cluster.terminate(cluster.node(i), Duration.ofSeconds(60))).isZero();
    }
    restartAll();
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(definitions(cluster.node(i))).as("after a clean stop, on " + cluster.node(i).id).isEqualTo(expected);
    }

    registerMany("before-kill", 40);
    Set<String> all = definitions(cluster.node(1));
    assertThat(all).hasSize(100);
    // A second after the last acknowledged write, every node dies at once.
    await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
    for (int i = 0; i < cluster.size(); i++) {
      cluster.node(i).process().destroyForcibly();
    }
    for (int i = 0; i < cluster.size(); i++) {
      cluster.node(i).process().waitFor();
    }
    restartAll();
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(definitions(cluster.node(i))).as("after SIGKILL of all, on " + cluster.node(i).id).isEqualTo(all);
    }
    // And the cluster goes on writing.
    registerMany("after", 3);
    await().atMost(Duration.ofSeconds(10)).until(() -> definitions(cluster.node(2)).size() == 103);
  }
}
