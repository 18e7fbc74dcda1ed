package io.cairn.client;

import com.sun.net.httpserver.HttpServer;
import io.cairn.grpc.v1.Instance;
import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent (sidecar) as a process of the fat jar, beside a real HTTP service, against three Cairn processes: three
 * agents, each beside a service of its own, register their services, keep them passing through the death of the
 * node they talk to, drain and deregister on SIGTERM and exit 0, let a rolling restart of the three instances pass
 * with no failed request for a client that picks through Cairn, and register their services again after the
 * cluster restarted with nothing on disk.
 */
class AgentIT {
  private static final String NAME = "web-api";
  private static final Duration TTL = Duration.ofSeconds(2);
  private JarCluster cluster;
  private final HttpServer[] services = new HttpServer[3];
  private final int[] ports = new int[3];
  private final Process[] agents = new Process[3];

  @AfterEach
  void stop() throws Exception {
    for (Process agent : agents) {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly();
      }
    }
    for (HttpServer s : services) {
      if (s != null) {
        s.stop(0);
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theAgentsWholeLife() throws Exception {
    cluster = new JarCluster(3, false, "--cluster.raft.bootstrapExpect=3");
    cluster.startWhole(Duration.ofSeconds(120));
    for (int k = 0; k < 3; k++) {
      ports[k] = TestNodes.freePort();
      services[k] = service(ports[k], k);
    }

    // Each agent registers its service and keeps it passing (the three agent JVMs start side by side).
    for (int k = 0; k < 3; k++) {
      startAgent(k);
    }
    List<String> all = List.of(id(0), id(1), id(2));
    awaitPassing(all);

    // The node they talk to (the first of --nodes) dies: they go on through another, and their instances stay
    // passing for several ttls after the failure was recorded.
    cluster.kill(cluster.node(0));
    String through = cluster.node(1).base();
    await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(cluster.node(1).nodeStatus(cluster.node(0).id)));
    await().during(TTL.multipliedBy(3)).atMost(TTL.multipliedBy(3).plusSeconds(2)).pollInterval(Duration.ofMillis(250))
        .until(() -> passing(through).containsAll(all));
    cluster.restartWhileWriting(cluster.node(0), Duration.ofSeconds(120));

    // A rolling restart of three instances while a client picks through Cairn: no request fails.
    awaitPassing(all);
    String[] grpc = new String[3];
    for (int i = 0; i < 3; i++) {
      grpc[i] = cluster.node(i).base().substring("http://".length());
    }
    try (CairnClient client = CairnClient.builder().nodes(grpc).continuousRetry().build()) {
      assertThat(client.watch(NAME).toCompletionStage().toCompletableFuture().get()).hasSize(3);
      AtomicBoolean calling = new AtomicBoolean(true);
      AtomicInteger served = new AtomicInteger();
      List<String> failures = new CopyOnWriteArrayList<>();
      Thread caller = new Thread(() -> call(client, calling, served, failures), "caller");
      caller.start();
      for (int k = 0; k < 3; k++) {
        int before = served.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() > before + 20);
        agents[k].destroy(); // SIGTERM
        assertThat(agents[k].waitFor(30, TimeUnit.SECONDS)).as("agent " + k + " exits").isTrue();
        assertThat(agents[k].exitValue()).as("agent " + k + " exit status").isZero();
        // Deregistered through the agent's node; this one applies it a round trip later.
        int agent = k;
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
            Http.get(through + "/v1/services/" + id(agent)).status()).as("deregistered on the way out").isEqualTo(404));
        // The service itself restarts now that no client is sent to it.
        services[k].stop(0);
        services[k] = service(ports[k], k);
        startAgent(k);
        awaitPassing(List.of(id(k)));
        String restarted = id(k);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.instances(NAME).stream()
            .anyMatch(i -> i.getId().equals(restarted) && InstanceMessages.passing(i)));
      }
      calling.set(false);
      caller.join();
      System.out.printf("agent: rolling restart of 3 instances, %d requests served, %d failed%n", served.get(),
          failures.size());
      assertThat(failures).as("requests that failed during the rolling restart").isEmpty();
      assertThat(served.get()).isGreaterThan(100);
    }

    // The whole cluster restarts with nothing on disk: the agents register their services again.
    for (int i = 0; i < 3; i++) {
      cluster.terminate(cluster.node(i), Duration.ofSeconds(60));
    }
    for (int i = 0; i < 3; i++) {
      cluster.wipe(cluster.node(i));
    }
    cluster.startWhole(Duration.ofSeconds(120));
    awaitPassing(List.of(id(0), id(1), id(2)));
  }

  private void startAgent(int k) throws IOException {
    Path log = cluster.workDir().resolve("agent-" + k + ".log");
    String nodes = String.join(",", List.of(0, 1, 2).stream()
        .map(i -> cluster.node(i).base().substring("http://".length())).toList());
    agents[k] = JarCluster.runJarClass("io.cairn.agent.CairnAgent", log, List.of("--nodes", nodes, "--name", NAME,
        "--port", Integer.toString(ports[k]), "--address", "127.0.0.1", "--id", id(k), "--check", "http:/health",
        "--ttl", TTL.toMillis() + "ms", "--drain", "1s"));
  }

  /** Every node has applied the registrations: a watch or read through any of them sees them. */
  private void awaitPassing(List<String> ids) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      try {
        for (int i = 0; i < 3; i++) {
          if (!passing(cluster.node(i).base()).containsAll(ids)) {
            return false;
          }
        }
        return true;
      } catch (RuntimeException notYet) {
        return false;
      }
    });
  }

  private static List<String> passing(String base) {
    List<String> ids = new ArrayList<>();
    Http.get(base + "/v1/services?name=" + NAME).json().getJsonArray("services")
        .forEach(o -> ids.add(((JsonObject) o).getString("id")));
    return ids;
  }

  /** A client of web-api: picks an instance through Cairn's cache, calls it, over and over. */
  private static void call(CairnClient client, AtomicBoolean calling, AtomicInteger served, List<String> failures) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    while (calling.get()) {
      Instance target = client.pick(NAME).orElse(null);
      if (target == null) {
        failures.add("no passing instance");
        continue;
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + target.getAddress() + ":"
            + target.getPort() + "/")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 500) {
          failures.add(target.getId() + " answered " + r.statusCode());
        } else {
          served.incrementAndGet();
        }
        // A client's pace, not a load test: unpaced, this loop and the services it calls took a core from the
        // other tests running beside it.
        JarCluster.pause(5);
      } catch (IOException | InterruptedException e) {
        failures.add(target.getId() + ": " + e);
      }
    }
  }

  private static HttpServer service(int port, int k) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/", exchange -> {
      byte[] body = ("instance " + k).getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return server;
  }

  private static String id(int k) {
    return NAME + "-" + (k + 1);
  }
}
