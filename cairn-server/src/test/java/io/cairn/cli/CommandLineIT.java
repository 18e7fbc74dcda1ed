package io.cairn.cli;

import com.sun.net.httpserver.HttpServer;
import io.cairn.security.TokenFile;
import io.cairn.support.Certificates;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.yaml.snakeyaml.Yaml;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code cairn} command line against three real nodes with TLS, tokens, client certificates and an ACL policy: {@code bin/cairn} as a
 * process where the process is the point (README's example as it is written, exit codes and stderr as scripts read
 * them, a watch that outlives its node), the same commands in this JVM for the rest (a JVM start each would cost
 * seconds). The first bin/cairn run, which makes the command line's class-data archive when this jar has none yet, is
 * started with the nodes (a gRPC command where no node listens: it tries for the command line's retry window, then
 * exits 3), so that README's example runs as a user's later commands do; the exit-code test checks what it answered.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CommandLineIT {
  private static final String ADMIN = "admin-secret-for-the-cli";
  private static final String READER = "reader-secret-for-the-cli";
  private static TestNodes cluster;
  private static TestNodes.Node first;
  private static TestNodes.Node second;
  private static TestNodes.Node third;
  private static Path certs;
  private static Path work;
  private static HttpServer service;
  /** bin/cairn's first run: {@code cairn services} at a port where no node listens. */
  private static Run firstRun;

  @BeforeAll
  static void startCluster() throws Exception {
    certs = Certificates.make("operator");
    work = Files.createTempDirectory("cairn-cli");
    // While the nodes start: the JVM dumping its classes into the archive costs seconds, and the retry window 6 s.
    Started starting = start(command("services"), env("127.0.0.1:" + TestNodes.freePort()));
    Path tokens = SecurityFiles.tokens(ADMIN, "admin", READER, "reader");
    Path policy = SecurityFiles.policy("p, admin, *, *, allow", "p, reader, *, read, allow",
        "p, operator, *, read, allow");
    cluster = new TestNodes(3).withToken(ADMIN).withTls(certs.resolve("ca.pem"), null);
    JsonObject security = new JsonObject().put("security", new JsonObject()
        .put("tokensFile", tokens.toString()).put("acl", new JsonObject().put("policy", policy.toString()))
        .put("tls", new JsonObject().put("certFile", certs.resolve("node.pem").toString())
            .put("keyFile", certs.resolve("node-key.pem").toString()).put("clientAuth", "optional")
            .put("clientCaFile", certs.resolve("ca.pem").toString())));
    first = cluster.start(0, security);
    second = cluster.start(1, security);
    third = cluster.start(2, security);
    service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    service.createContext("/health", exchange -> {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    service.start();
    firstRun = starting.finish();
  }

  @AfterAll
  static void stop() {
    if (service != null) {
      service.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (work != null) {
      TempDirs.delete(work);
    }
    if (certs != null) {
      TempDirs.delete(certs);
    }
  }

  @Test
  @Order(1)
  void theReadmeExampleRunsAsWritten() throws Exception {
    String readme = Files.readString(repository().resolve("README.md"));
    Matcher block = Pattern.compile("<!-- tested by CommandLineIT -->\\s*```sh\\n(.*?)```", Pattern.DOTALL)
        .matcher(readme);
    assertThat(block.find()).as("README.md has the CLI example after its marker").isTrue();
    // Its export line points at ./run.sh cluster's nodes; here the environment says where this test's are.
    List<String> lines = block.group(1).lines().filter(l -> !l.startsWith("export ")).toList();
    Run run = run(List.of("bash", "-euo", "pipefail", "-c", String.join("\n", lines)), env());
    assertThat(run.exit).as(run.toString()).isZero();
    assertThat(run.out).contains("quorum    yes").contains("registered web-1 web 10.0.0.7:3000 healthy")
        .contains("draining web-1").contains("saved revision").contains("deregistered web-1");
    assertThat(run.out).containsPattern("web\\s+1\\s+1\\s+blue");
  }

  @Test
  @Order(2)
  void registersListsAndChangesInstancesAsTablesJsonAndYaml() throws Exception {
    Path file = Files.writeString(work.resolve("api.json"), new JsonObject().put("id", "api-1").put("name", "api")
        .put("address", "127.0.0.1").put("port", service.getAddress().getPort()).put("version", "2.1.0")
        .put("zone", "z1").put("check", new JsonObject().put("type", "http").put("path", "/health")
            .put("interval", "1s")).encode());
    assertThat(cairn("register", "-f", file.toString()).ok().out).startsWith("registered api-1 api 127.0.0.1:");
    assertThat(cairn("register", "--id", "api-2", "--name", "api", "--address", "10.1.0.2", "--port", "80",
        "--tag", "canary", "--meta", "team=pay", "--ttl", "1h").ok().out).contains("registered api-2");

    await().atMost(Duration.ofSeconds(30)).until(() -> cairn("get", "api-1", "-o", "json").json()
        .getString("health").equals("healthy"));
    JsonArray listed = new JsonArray(cairn("services", "api", "-o", "json").ok().out);
    assertThat(listed.stream().map(o -> ((JsonObject) o).getString("id"))).containsExactlyInAnyOrder("api-1", "api-2");
    JsonObject two = cairn("get", "api-2", "-o", "yaml").ok().yamlAsJson();
    assertThat(two.getJsonArray("tags")).containsExactly("canary");
    assertThat(two.getJsonObject("metadata").getString("team")).isEqualTo("pay");
    assertThat(cairn("services", "api", "--tag", "canary").ok().out).contains("api-2").doesNotContain("api-1");
    assertThat(cairn("services", "api", "--version", "^2").ok().out).contains("api-1").doesNotContain("api-2");
    assertThat(cairn("services", "-o", "wide").ok().out).containsPattern("api\\s+2\\s+2\\s+2\\.1\\.0\\s+z1\\s+canary");

    assertThat(cairn("disable", "api-2").ok().out).startsWith("disabled api-2");
    assertThat(cairn("services", "--status", "passing").ok().out).containsPattern("api\\s+1\\s+1");
    assertThat(cairn("enable", "api-2").ok().out).startsWith("enabled api-2");
    Run check = cairn("check", "api-1").ok();
    assertThat(check.out).containsPattern("api-1\\s+healthy\\s+healthy");
    assertThat(cairn("check", "api-2").exit).as("a ttl instance has no check to run").isEqualTo(1);
    assertThat(cairn("deregister", "api-2").ok().out).startsWith("deregistered api-2");
    assertThat(cairn("get", "api-2").exit).isEqualTo(1);
  }

  @Test
  @Order(3)
  void showsTheClusterItsRoutesAndSavesASnapshotThatReadsBack() throws Exception {
    JsonObject nodes = cairn("nodes", "-o", "json").ok().json();
    assertThat(nodes.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
        .containsExactly("alive", "alive", "alive");
    JsonObject status = cairn("status", "-o", "json").ok().json();
    assertThat(status.getBoolean("quorate")).isTrue();
    assertThat(status.getString("leader")).isIn(first.id(), second.id(), third.id());

    assertThat(putRoute("api-route", "{\"service\":\"api\",\"match\":{\"pathPrefix\":\"/api\"}}"))
        .isIn(200, 201);
    await().atMost(Duration.ofSeconds(20)).until(() -> cairn("routes").ok().out.contains("api-route"));
    assertThat(cairn("routes").out).containsPattern("api-route\\s+api\\s+-\\s+/api\\s+log");

    Path backup = work.resolve("backup.snapshot");
    Run saved = cairn("snapshot", "save", backup.toString()).ok();
    assertThat(saved.out).containsPattern("saved revision \\d+ \\(1 instances of 1 services, 3 nodes, 1 routes");
    JsonObject info = cairn("snapshot", "info", backup.toString(), "-o", "json").ok().json();
    assertThat(info.getLong("instances")).isEqualTo(1);
    assertThat(info.getLong("routes")).isEqualTo(1);
    Files.write(work.resolve("cut.snapshot"), Arrays.copyOf(Files.readAllBytes(backup),
        (int) Files.size(backup) / 2));
    Run cut = cairn("snapshot", "info", work.resolve("cut.snapshot").toString());
    assertThat(cut.exit).isEqualTo(1);
    assertThat(cut.err).contains("cut short");
  }

  @Test
  @Order(4)
  void exitCodesTellRefusalsBadUsageAndNoNodeApart() throws Exception {
    // The processes at once (none changes what another sees); the commands in this JVM meanwhile.
    Map<String, String> reader = env();
    reader.put("CAIRN_TOKEN", READER);
    Started refusing = start(command("register", "--name", "web", "--address", "10.0.0.1", "--port", "1"), reader);
    Started reading = start(command("services"), reader);
    Started misused = start(command("register", "--name", "web"), env());
    Started nowhere = start(command("status"), env("127.0.0.1:" + TestNodes.freePort()));
    Started completing = start(List.of("bash", "-c", "source <(\"$0\" completion bash) && complete -p cairn",
        cairnScript().toString()), env());

    assertThat(cairn("nodes", "--output", "xml").exit).isEqualTo(2);

    // A dead node first in --addr: both the gRPC and the REST commands go on to the next.
    String deadFirst = "127.0.0.1:" + TestNodes.freePort() + ",127.0.0.1:" + first.httpPort();
    assertThat(cairnAt(deadFirst, "services").exit).isZero();
    assertThat(cairnAt(deadFirst, "status").exit).isZero();

    // Mutual TLS instead of a token: the client certificate's CN is the caller, over gRPC and REST alike.
    List<String> operator = List.of("--addr", "127.0.0.1:" + second.httpPort(), "--ca",
        certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator.pem").toString(), "--key",
        certs.resolve("operator-key.pem").toString());
    assertThat(inProcess("nodes", operator).exit).isZero();
    assertThat(inProcess("status", operator).exit).isZero();
    Run anonymous = inProcess("nodes", List.of("--addr", "127.0.0.1:" + second.httpPort(), "--ca",
        certs.resolve("ca.pem").toString()));
    assertThat(anonymous.exit).as(anonymous.toString()).isEqualTo(1);

    Run hash = cairn("token", "hash", "ci");
    assertThat(hash.exit).isZero();
    String secret = hash.err.substring(hash.err.lastIndexOf(' ') + 1).strip();
    assertThat(hash.out.strip()).isEqualTo("ci:" + TokenFile.sha256Hex(secret));

    Run refused = refusing.finish();
    assertThat(refused.exit).isEqualTo(1);
    assertThat(refused.err.lines().count()).as("one line: " + refused.err).isEqualTo(1);
    assertThat(reading.finish().exit).isZero();

    Run usage = misused.finish();
    assertThat(usage.exit).isEqualTo(2);
    assertThat(usage.err.strip()).startsWith("cairn: ").doesNotContain("\n");

    // No node reachable, through REST (status) and through gRPC (services, bin/cairn's first run, above).
    for (Run unreachable : List.of(nowhere.finish(), firstRun)) {
      assertThat(unreachable.exit).as(unreachable.toString()).isEqualTo(3);
      assertThat(unreachable.err.strip()).startsWith("cairn: ").doesNotContain("\n");
    }

    Run completion = completing.finish();
    assertThat(completion.exit).as(completion.toString()).isZero();
    assertThat(completion.out).contains("cairn");
  }

  @Test
  @Order(5)
  void aWatchPrintsChangesAndGoesOnFromTheOtherNodeWhenItsNodeLeaves() throws Exception {
    // Through the second node: instances of a node that leaves turn unhealthy, which would be a change to count.
    cairnAt("127.0.0.1:" + second.httpPort(), "register", "--id", "web-a", "--name", "web", "--address", "10.0.0.1",
        "--port", "80").ok();
    Map<String, String> firstThenSecond = env();
    firstThenSecond.put("CAIRN_ADDR", "127.0.0.1:" + first.httpPort() + ",127.0.0.1:" + second.httpPort());
    Path out = work.resolve("watch.out");
    ProcessBuilder watching = new ProcessBuilder(command("watch", "web", "--count", "1"))
        .redirectOutput(out.toFile()).redirectError(work.resolve("watch.err").toFile());
    watching.environment().putAll(firstThenSecond);
    Process watch = watching.start();
    watch.getOutputStream().close();
    try {
      // The instance there already is: the watch is open, on the first node.
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("present web-a"));
      cluster.stop(first);
      cairnAt("127.0.0.1:" + second.httpPort(), "register", "--id", "web-b", "--name", "web", "--address",
          "10.0.0.2", "--port", "80").ok();
      assertThat(watch.waitFor(90, TimeUnit.SECONDS)).as(Files.readString(out)).isTrue();
      assertThat(watch.exitValue()).isZero();
      assertThat(Files.readString(out)).contains("registered web-b web 10.0.0.2:80");
    } finally {
      watch.destroyForcibly();
    }
  }

  // ------------------------------------------------------------------ running it

  record Run(int exit, String out, String err) {
    Run ok() {
      assertThat(exit).as(toString()).isZero();
      return this;
    }

    JsonObject json() {
      ok();
      return new JsonObject(out);
    }

    JsonObject yamlAsJson() {
      return new JsonObject(Json.encode(new Yaml().load(out)));
    }
  }

  /** The command line in this JVM (fast), against the first and second node, with the admin's token. */
  private static Run cairn(String... args) {
    return cairnAt("127.0.0.1:" + first.httpPort() + ",127.0.0.1:" + second.httpPort(), args);
  }

  private static Run cairnAt(String addresses, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (!args[0].equals("token") && !(args[0].equals("snapshot") && args[1].equals("info"))) {
      all.addAll(List.of("--addr", addresses, "--token", ADMIN, "--ca", certs.resolve("ca.pem").toString()));
    }
    return inProcess(all);
  }

  private static Run inProcess(String command, List<String> options) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(options);
    return inProcess(all);
  }

  private static Run inProcess(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CairnCli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }

  private static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(cairnScript().toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static Run run(List<String> cmd, Map<String, String> env) throws Exception {
    return start(cmd, env).finish();
  }

  /** A process under way, its output going to files. */
  private record Started(List<String> cmd, Process process, Path out, Path err) {
    Run finish() throws Exception {
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(cmd + " did not end within 120 s");
      }
      return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err));
    }
  }

  private static Started start(List<String> cmd, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    return new Started(cmd, p, out, err);
  }

  /** What a user of a secured cluster exports, and where bin/cairn finds the jar and java of this build. */
  private static Map<String, String> env() {
    return env("127.0.0.1:" + first.httpPort() + ",127.0.0.1:" + second.httpPort());
  }

  /** The same, with the nodes of CAIRN_ADDR given. */
  private static Map<String, String> env(String addresses) {
    Map<String, String> env = new HashMap<>();
    env.put("CAIRN_ADDR", addresses);
    env.put("CAIRN_TOKEN", ADMIN);
    env.put("CAIRN_CA", certs.resolve("ca.pem").toString());
    env.put("CAIRN_JAR", jar().toString());
    env.put("CAIRN_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.put("PATH", cairnScript().getParent() + File.pathSeparator + System.getenv("PATH"));
    return env;
  }

  private static Path jar() {
    return Path.of(System.getProperty("cairn.jar", "target/cairn.jar")).toAbsolutePath();
  }

  private static Path repository() {
    return jar().getParent().getParent();
  }

  private static Path cairnScript() {
    return repository().resolve("bin").resolve("cairn");
  }

  /** Writes a route through REST (the command line only lists them); answers the status. */
  private static int putRoute(String id, String json) throws Exception {
    HttpClient https = HttpClient.newBuilder().sslContext(Certificates.sslContext(certs.resolve("ca.pem"), null))
        .build();
    return https.send(HttpRequest.newBuilder(URI.create(first.base() + "/v1/routes/" + id))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
