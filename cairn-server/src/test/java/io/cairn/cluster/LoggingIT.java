package io.cairn.cluster;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The logging section on a real node process: JSON lines with the node's id, and per-logger levels in force. */
class LoggingIT {

  @Test
  void withJsonFormatEveryLineIsAnObjectWithTheFieldsAndALoggerSetToWarnSaysNoInfo() throws Exception {
    try (JarCluster cluster = new JarCluster(1, false, "--logging.format=json",
        "--logging.loggers=io.cairn.CairnNode=warn")) {
      assertJsonLogOfANodeStartedAndStopped(cluster);
    }
  }

  private static void assertJsonLogOfANodeStartedAndStopped(JarCluster cluster) throws Exception {
    JarCluster.Node node = cluster.start(0);
    cluster.awaitHealthy(node, Duration.ofSeconds(180));
    Http.Response r = Http.withHeaders("GET", node.base() + "/v1/status", Map.of("X-Request-Id", "it-request-7"));
    assertThat(r.header("X-Request-Id")).isEqualTo("it-request-7");
    // Stopped as an operator stops it (SIGTERM): its departure is logged too.
    node.process().destroy();
    assertThat(node.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    List<JsonObject> lines = new ArrayList<>();
    String all = node.logTail(1_000_000);
    String output = all.substring(all.lastIndexOf("==== start"));
    for (String line : output.substring(output.indexOf('\n') + 1).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        lines.add(new JsonObject(line));
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON line: " + line + "\nin:\n" + output);
      }
    }
    assertThat(lines).isNotEmpty().allSatisfy(j -> {
      assertThat(j.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*Z");
      assertThat(j.getString("level")).isIn("ERROR", "WARN", "INFO", "DEBUG", "TRACE");
      assertThat(j.getString("logger")).isNotBlank();
      assertThat(j.getString("message")).isNotNull();
      assertThat(j.getString("node")).isEqualTo(node.id);
    });
    assertThat(lines).anySatisfy(j -> {
      assertThat(j.getString("logger")).isEqualTo("io.cairn.replication.ReplicationVerticle");
      assertThat(j.getString("message")).contains("is ready");
    });
    assertThat(lines).noneMatch(j -> j.getString("logger").equals("io.cairn.CairnNode") && j.getString("level").equals("INFO"));
    assertThat(lines).noneMatch(j -> j.getString("logger").startsWith("com.hazelcast") && j.getString("level").equals("INFO"));
  }
}
