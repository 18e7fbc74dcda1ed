package io.cairn.consul;

import io.cairn.support.OneNodeTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * python-consul2 (Debian's python3-consul2), a real Consul client, against a Cairn node: registration with a TTL
 * check, the catalog, a service's health with and without {@code passing}, TTL reports, and a blocking query that a
 * deregistration wakes with a higher index (the client script is src/test/resources/consul/python_consul_client.py).
 */
class PythonConsulClientTest extends OneNodeTest {

  @Test
  void pythonConsulRegistersDiscoversReportsAndWaitsOnCairn() throws Exception {
    Path script = Path.of(PythonConsulClientTest.class.getResource("/consul/python_consul_client.py").toURI());
    String name = unique("pyconsul");
    Path log = Files.createTempFile("python-consul", ".log");
    log.toFile().deleteOnExit();
    Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1",
        Integer.toString(node.httpPort()), name).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python-consul finished: %s", Files.readString(log)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(p.exitValue()).as(output).isZero();
    Map<String, JsonObject> steps = new HashMap<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("{")) {
        JsonObject step = new JsonObject(line);
        steps.put(step.getString("step"), step);
      }
    }
    assertThat(index(steps.get("catalog"), "index")).as(output).isPositive();
    assertThat(steps.get("catalog").getJsonArray("tags").getList()).containsExactly("py", "v1", "v2");
    assertThat(steps.get("health").getJsonArray("ids").getList()).containsExactly(name + "-1", name + "-2");
    assertThat(steps.get("health").getJsonArray("checks").getList()).contains("serfHealth", "service:" + name + "-1",
        "service:" + name + "-2");
    assertThat(steps.get("after_fail").getJsonArray("ids").getList()).containsExactly(name + "-1");
    assertThat(steps.get("after_pass").getJsonArray("ids").getList()).containsExactly(name + "-1", name + "-2");
    JsonObject blocking = steps.get("blocking");
    assertThat(blocking.getBoolean("blocked")).as("the blocking query waited for a change").isTrue();
    assertThat(index(blocking, "after")).as(output).isGreaterThan(index(blocking, "before"));
    assertThat(blocking.getJsonArray("ids").getList()).isEqualTo(List.of(name + "-1"));
    assertThat(steps.get("leader").getString("leader")).isNotEmpty();
  }

  /** python-consul passes X-Consul-Index on as the header's text. */
  private static long index(JsonObject step, String key) {
    return Long.parseLong(String.valueOf(step.getValue(key)));
  }
}
