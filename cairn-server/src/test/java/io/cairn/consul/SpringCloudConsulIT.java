package io.cairn.consul;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two Spring Boot apps with {@code spring-cloud-starter-consul-discovery} (cairn-server/src/it/spring-consul-app, built here with
 * Maven: Spring never goes on Cairn's class path) against a Cairn node as the fat jar, each as a process of its own:
 * they register themselves with their HTTP check, turn healthy when Cairn's checker reaches /actuator/health,
 * discover each other through {@code DiscoveryClient}, go out of and back into rotation through Spring's
 * service-registry endpoint, and an app stopped with SIGTERM deregisters itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringCloudConsulIT {
  private static final Duration BUILD = Duration.ofMinutes(8);
  /** Spring apps take 10-30 s to start on two loaded cores. */
  private static final Duration START = Duration.ofSeconds(180);
  private static final Duration CHANGE = Duration.ofSeconds(60);

  private final Path buildDir = Path.of(System.getProperty("cairn.jar", "target/cairn.jar")).toAbsolutePath()
      .getParent();
  private final Path logs = buildDir.resolve("spring-consul-it");
  private JarCluster cairn;
  private String base;
  private final App a = new App("spring-a");
  private final App b = new App("spring-b");
  /** The process the test stopped on purpose. */
  private Process stopped;

  /** One Spring app process: its service name, port and log. */
  private final class App {
    final String name;
    final int port = TestNodes.freePort();
    final Path log;
    Process process;

    App(String name) {
      this.name = name;
      this.log = logs.resolve(name + ".log");
    }

    String base() {
      return "http://127.0.0.1:" + port;
    }

    String instanceId() {
      // Spring Cloud Consul's default instance id: the application name and the port.
      return name + "-" + port;
    }

    void start(Path jar, int consulPort) throws IOException {
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
          "--spring.application.name=" + name, "--server.port=" + port,
          "--spring.cloud.consul.port=" + consulPort);
      Files.writeString(log, "==== " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8);
      // Killed when the test JVM exits, should it end before @AfterAll.
      Runtime.getRuntime().addShutdownHook(new Thread(this::kill));
      process = new ProcessBuilder(cmd).directory(logs.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    void kill() {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }

    /** What this app's DiscoveryClient finds under {@code service}. */
    JsonArray peers(String service) {
      Http.Response r = Http.get(base() + "/peers?name=" + service);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      return new JsonArray(r.body());
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  @BeforeAll
  void buildAndStart() throws Exception {
    Files.createDirectories(logs);
    // The node starts while Maven builds the app.
    cairn = new JarCluster(1, false).closeOnExit();
    cairn.start(0);
    Path jar = buildApp();
    cairn.awaitHealthy(cairn.node(0), START);
    base = cairn.node(0).base();
    int consulPort = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
    a.start(jar, consulPort);
    b.start(jar, consulPort);
  }

  @AfterAll
  void stopAll() throws Exception {
    for (App app : List.of(a, b)) {
      app.kill();
      if (app.process != null) {
        app.process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (cairn != null) {
      cairn.close();
    }
  }

  @Test
  void springAppsRegisterTurnHealthyDiscoverEachOtherAndDeregisterOnStop() throws Exception {
    // Both register with Spring's HTTP check, and turn healthy once Cairn's checker reaches /actuator/health (whose
    // consul indicator asks Cairn for its leader and its services).
    for (App app : List.of(a, b)) {
      awaitApps(START, () -> {
        JsonObject e = instance(app);
        assertThat(e).as(app.name + " registered").isNotNull();
        assertThat(e.getString("id")).isEqualTo(app.instanceId());
        assertThat(e.getString("address")).isEqualTo("127.0.0.1");
        assertThat(e.getInteger("port")).isEqualTo(app.port);
        assertThat(e.getJsonObject("check").getString("type")).isEqualTo("http");
        assertThat(e.getJsonObject("check").getString("url")).isEqualTo(app.base() + "/actuator/health");
        assertThat(e.getJsonObject("check").getString("interval")).isEqualTo("1s");
        assertThat(e.getString("health")).as(app.name + " health").isEqualTo("healthy");
      });
      JsonObject health = Http.get(app.base() + "/actuator/health").json();
      assertThat(health.getJsonObject("components").getJsonObject("consul").getString("status")).isEqualTo("UP");
    }

    // Each one's DiscoveryClient finds the other.
    awaitApps(CHANGE, () -> {
      assertThat(a.peers(b.name)).singleElement().satisfies(p -> assertPeer((JsonObject) p, b));
      assertThat(b.peers(a.name)).singleElement().satisfies(p -> assertPeer((JsonObject) p, a));
      assertThat(new JsonArray(Http.get(a.base() + "/services").body())).contains(a.name, b.name);
    });

    // Spring's consul endpoint reads the agent's services, every service's catalog entries and the nodes.
    JsonObject consul = Http.get(a.base() + "/actuator/consul").json();
    assertThat(consul.getJsonObject("agentServices").fieldNames()).contains(a.instanceId(), b.instanceId());
    assertThat(consul.getJsonObject("catalogServices").getJsonArray(b.name).getJsonObject(0).getInteger("ServicePort"))
        .isEqualTo(b.port);
    assertThat(consul.getJsonArray("catalogNodes")).hasSize(1);

    // Out of service through Spring's service registry (Consul's maintenance mode): disabled in Cairn, no longer
    // passing, so A stops finding B; and back.
    assertThat(setStatus(b, "OUT_OF_SERVICE").status()).isEqualTo(200);
    awaitApps(CHANGE, () -> {
      assertThat(instance(b).getBoolean("enabled")).isFalse();
      assertThat(a.peers(b.name)).isEmpty();
      assertThat(Http.get(b.base() + "/actuator/serviceregistry").body()).contains("OUT_OF_SERVICE");
    });
    assertThat(setStatus(b, "UP").status()).isEqualTo(200);
    awaitApps(CHANGE, () -> {
      assertThat(instance(b).getBoolean("enabled")).isTrue();
      assertThat(a.peers(b.name)).hasSize(1);
    });

    // SIGTERM: Spring deregisters B on its way out, and A no longer finds it.
    stopped = b.process;
    b.process.destroy();
    assertThat(b.process.waitFor(60, TimeUnit.SECONDS)).as("B exits on SIGTERM:\n" + b.logTail()).isTrue();
    awaitApps(CHANGE, () -> {
      assertThat(instance(b)).as("B deregistered").isNull();
      assertThat(a.peers(b.name)).isEmpty();
    });
    assertThat(instance(a).getString("health")).isEqualTo("healthy");
  }

  private static void assertPeer(JsonObject peer, App app) {
    assertThat(peer.getString("instanceId")).isEqualTo(app.instanceId());
    assertThat(peer.getString("serviceId")).isEqualTo(app.name);
    assertThat(peer.getString("host")).isEqualTo("127.0.0.1");
    assertThat(peer.getInteger("port")).isEqualTo(app.port);
  }

  /** The app's instance in Cairn (REST, any health), or null. */
  private JsonObject instance(App app) {
    JsonArray services = Http.get(base + "/v1/services?name=" + app.name + "&status=any").json()
        .getJsonArray("services");
    assertThat(services.size()).as(app.name + " instances: " + services.encode()).isLessThanOrEqualTo(1);
    return services.isEmpty() ? null : services.getJsonObject(0);
  }

  private static Http.Response setStatus(App app, String status) {
    return Http.post(app.base() + "/actuator/serviceregistry", new JsonObject().put("status", status).encode());
  }

  /**
   * Waits until {@code assertion} holds; fails at once if an app exited that the test did not stop, and with the
   * apps' and the node's logs when time runs out.
   */
  private void awaitApps(Duration within, ThrowingRunnable assertion) {
    try {
      await().atMost(within).pollInterval(Duration.ofMillis(500))
          .failFast("an app exited", () -> List.of(a, b).stream().anyMatch(app -> app.process != null
              && app.process != stopped && !app.process.isAlive()))
          .ignoreExceptions().untilAsserted(assertion);
    } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
      throw new AssertionError(e.getMessage() + "\n---- " + a.name + " ----\n" + a.logTail() + "\n---- " + b.name
          + " ----\n" + b.logTail() + "\n---- cairn ----\n" + cairn.logs(40), e);
    }
  }

  /**
   * Builds cairn-server/src/it/spring-consul-app with Maven into {@code target/spring-consul-app}, offline when this build is,
   * with the same local repository; the first build downloads Spring Boot and Spring Cloud from Maven Central.
   */
  private Path buildApp() throws Exception {
    Path project = Path.of("cairn-server/src/it/spring-consul-app/pom.xml").toAbsolutePath();
    Path out = buildDir.resolve("spring-consul-app");
    Path log = logs.resolve("maven-build.log");
    // Maven's own launcher when failsafe names it (pom.xml), else mvn from the PATH (an IDE's run).
    String mvn = System.getProperty("cairn.it.mvn", "");
    if (!new File(mvn).canExecute()) {
      mvn = "mvn";
    }
    List<String> cmd = new ArrayList<>(List.of(mvn, "-B", "-q", "package",
        "-f", project.toString(), "-Dapp.buildDirectory=" + out));
    if ("offline=true".equals(System.getProperty("cairn.it.mavenMode"))) {
      cmd.add("-o");
    }
    String repo = System.getProperty("cairn.it.mavenRepo", "");
    if (!repo.isEmpty()) {
      cmd.add("-Dmaven.repo.local=" + repo);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // The JDK this test runs on builds the app too.
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    long started = System.nanoTime();
    Process maven = pb.start();
    try {
      if (!maven.waitFor(BUILD.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("the Maven build of the Spring app took over " + BUILD + "; see " + log);
      }
    } finally {
      maven.destroyForcibly();
    }
    assertThat(maven.exitValue()).as("mvn " + String.join(" ", cmd.subList(1, cmd.size())) + ":\n"
        + Files.readString(log)).isZero();
    Path jar = out.resolve("spring-consul-app.jar");
    assertThat(new File(jar.toString())).exists();
    System.out.printf("built the Spring app in %d s%n", Duration.ofNanos(System.nanoTime() - started).toSeconds());
    return jar;
  }
}
