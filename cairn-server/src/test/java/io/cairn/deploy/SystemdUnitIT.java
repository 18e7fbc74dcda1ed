package io.cairn.deploy;

import io.cairn.config.CairnConfig;
import io.cairn.support.Certificates;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/systemd (issue 26): the service unit passes {@code systemd-analyze verify} without a word, its ExecStart
 * line as systemd would run it (the unit's Environment=, then an environment file) starts a node that serves and
 * stops with status 0 on SIGTERM within TimeoutStopSec, and cairn-wait-ready (its ExecStartPost=) returns 0 once that
 * node's /health answers 200, non-zero after its bound where nothing listens, and at once when the node's process is
 * gone. systemd is not PID 1 here, so the unit is not started by systemd itself: its hardening is not exercised.
 *
 * <p>The unit's install paths (/opt/cairn, /etc/cairn, /var/lib/cairn, /usr/bin/java) are mapped to this checkout's
 * files, a temporary directory and the test's java; a path the mapping misses fails the test.
 */
class SystemdUnitIT {
  private static final Path DIR = Path.of("deploy/systemd");
  /** What systemd gives a service before Environment= (its default PATH; no other variables of this JVM's). */
  private static final String SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** Variables the unit and the script read that are not configuration keys. */
  private static final Set<String> NOT_KEYS = Set.of("CAIRN_CONFIG", "CAIRN_JAVA_OPTS", "CAIRN_ARGS",
      "CAIRN_READY_URL", "CAIRN_READY_CA_FILE", "CAIRN_READY_CERT_FILE", "CAIRN_READY_KEY_FILE",
      "CAIRN_READY_TIMEOUT");

  private Path work;
  private Path envFile;
  private Process node;
  private Path nodeLog;
  private Path tls;

  @BeforeEach
  void setUp() throws IOException {
    work = Files.createTempDirectory("cairn-systemd");
    envFile = work.resolve("cairn.env");
    Files.writeString(envFile, "");
    nodeLog = work.resolve("node.log");
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (node != null && node.isAlive()) {
      node.destroyForcibly();
      node.waitFor(30, TimeUnit.SECONDS);
    }
    TempDirs.delete(work);
    if (tls != null) {
      TempDirs.delete(tls);
    }
  }

  @Test
  void verifyFindsNothingToSayAboutTheUnit() throws Exception {
    Path unit = work.resolve("cairn.service");
    Files.writeString(unit, mappedUnit());
    // Without systemd as PID 1 it still loads the unit and checks its keys, values and the executables it names;
    // what it finds is printed (a bad value, an unknown key, a missing binary), often with exit status 0.
    Run verify = run(List.of("systemd-analyze", "verify", "--man=no", unit.toString()), Map.of(), 60,
        "apt-get install systemd");
    assertThat(verify.output).as("systemd-analyze verify " + unit + " (exit " + verify.status + ")").isEmpty();
    assertThat(verify.status).isZero();
  }

  @Test
  void theEnvironmentFileExampleNamesRealSettings() throws IOException {
    Set<String> known = new TreeSet<>(NOT_KEYS);
    envNames(CairnConfig.of(new JsonObject()).toJson(), "", known);
    Set<String> named = new TreeSet<>();
    for (String file : List.of("cairn.env.example", "cairn.service", "cairn-wait-ready")) {
      Matcher m = Pattern.compile("\\bCAIRN_[A-Z0-9_]+").matcher(Files.readString(DIR.resolve(file)));
      while (m.find()) {
        named.add(m.group());
      }
    }
    named.removeIf(n -> n.equals("CAIRN_")); // "CAIRN_<SECTION>_<KEY>" in a comment
    assertThat(named).as("CAIRN_* variables in deploy/systemd that name no configuration key").isSubsetOf(known);
    // The example is a whole node's settings: the ones a three-machine cluster cannot do without are set.
    Map<String, String> example = environmentFile(DIR.resolve("cairn.env.example"));
    assertThat(example).containsKeys("CAIRN_NODE_ID", "CAIRN_CLUSTER_HOST", "CAIRN_CLUSTER_JOIN",
        "CAIRN_HTTP_HOST", "CAIRN_SECURITY_TOKENS_FILE", "CAIRN_SECURITY_CLUSTER_CA_FILE");
    assertThat(example.get("CAIRN_CLUSTER_RAFT_BOOTSTRAP_EXPECT")).isEqualTo("3");
    assertThat(example.get("CAIRN_CLUSTER_JOIN").split(",")).hasSize(3);
  }

  @Test
  void stoppingWaitsLongerThanTheNodeTakesToLeave() throws IOException {
    // A node drains for at most shutdown.gracePeriod, then takes at most as long again to leave the cluster.
    long grace = CairnConfig.of(new JsonObject()).shutdown().gracePeriodMillis();
    Map<String, String> service = section(Files.readString(DIR.resolve("cairn.service")), "Service");
    assertThat(seconds(service.get("TimeoutStopSec")) * 1000).isGreaterThan(2 * grace + 5000);
    assertThat(service.get("KillSignal")).isEqualTo("SIGTERM");
    assertThat(service.get("Restart")).isEqualTo("on-failure");
    assertThat(service).doesNotContainKey("MemoryDenyWriteExecute"); // the JIT
  }

  @Test
  void waitReadyGivesUpAfterItsBoundWhereNothingListens() throws Exception {
    int nobody = TestNodes.freePort();
    Map<String, String> env = Map.of("CAIRN_HTTP_PORT", Integer.toString(nobody), "CAIRN_READY_TIMEOUT", "2");
    long started = System.nanoTime();
    Run r = run(waitReadyCommand(), env, 60, "apt-get install curl");
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    assertThat(r.status).as(r.output).isNotZero();
    assertThat(r.output).contains("did not answer 200 within 2s");
    assertThat(tookMillis).isGreaterThanOrEqualTo(2000);

    // Under systemd it also stops waiting as soon as the node's process ($MAINPID) is gone.
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    env = Map.of("CAIRN_HTTP_PORT", Integer.toString(nobody), "MAINPID", Long.toString(gone.pid()));
    r = run(waitReadyCommand(), env, 60, "apt-get install curl");
    assertThat(r.status).as(r.output).isNotZero();
    assertThat(r.output).contains("exited before");
  }

  /**
   * The unit's own command lines with an environment file as an operator writes one (the example's security: tokens,
   * HTTPS, mutual TLS between nodes), on loopback ports: the node starts, cairn-wait-ready says so over HTTPS, and
   * SIGTERM stops it with status 0.
   */
  @Test
  void theUnitsCommandLinesStartANodeThatServesAndStopCleanly() throws Exception {
    tls = Certificates.make();
    Path tokens = SecurityFiles.tokens("systemd-secret", "admin");
    int http = TestNodes.freePort();
    int hazelcast = TestNodes.freePort();
    Files.writeString(envFile, String.join("\n",
        "# as cairn.env.example, on loopback",
        "CAIRN_NODE_ID=systemd-1",
        "CAIRN_CLUSTER_NAME=cairn-systemd-" + UUID.randomUUID().toString().substring(0, 8),
        "CAIRN_CLUSTER_HOST=127.0.0.1",
        "CAIRN_CLUSTER_PORT=" + hazelcast,
        "CAIRN_CLUSTER_PORT_AUTO_INCREMENT=false",
        "CAIRN_CLUSTER_JOIN=127.0.0.1:" + hazelcast,
        "CAIRN_CLUSTER_RAFT_PORT=" + TestNodes.freePort(),
        "CAIRN_HTTP_HOST=127.0.0.1",
        "CAIRN_HTTP_PORT=" + http,
        "CAIRN_DNS_PORT=0",
        "CAIRN_SECURITY_TOKENS_FILE=" + tokens,
        "CAIRN_SECURITY_TLS_CERT_FILE=" + tls.resolve("node.pem"),
        "CAIRN_SECURITY_TLS_KEY_FILE=" + tls.resolve("node-key.pem"),
        "CAIRN_SECURITY_CLUSTER_CERT_FILE=" + tls.resolve("node.pem"),
        "CAIRN_SECURITY_CLUSTER_KEY_FILE=" + tls.resolve("node-key.pem"),
        "CAIRN_SECURITY_CLUSTER_CA_FILE=" + tls.resolve("ca.pem"),
        "# words of their own, as the example's -cluster-port",
        "CAIRN_ARGS=\"-cluster-port " + TestNodes.freePort() + "\"",
        ""));
    String unit = mappedUnit();
    Map<String, String> service = section(unit, "Service");
    Map<String, String> env = serviceEnvironment(unit);
    assertThat(env).containsEntry("CAIRN_NODE_DATA_DIR", work.resolve("data").toString());

    List<String> start = commandLine(service.get("ExecStart"), env);
    ProcessBuilder pb = new ProcessBuilder(start).directory(new File(service.get("WorkingDirectory")))
        .redirectErrorStream(true).redirectOutput(nodeLog.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Files.createDirectories(Path.of(service.get("WorkingDirectory"))); // StateDirectory= makes it
    node = pb.start();

    Map<String, String> postEnv = new LinkedHashMap<>(env);
    postEnv.put("MAINPID", Long.toString(node.pid()));
    long bound = seconds(service.get("TimeoutStartSec"));
    Run ready = run(commandLine(service.get("ExecStartPost"), postEnv), postEnv, bound, "apt-get install curl");
    assertThat(ready.status).as("cairn-wait-ready: " + ready.output + "\nnode: " + start + "\n" + log()).isZero();
    assertThat(node.isAlive()).as(log()).isTrue();

    HttpClient client = HttpClient.newBuilder().sslContext(Certificates.sslContext(tls.resolve("ca.pem"), null))
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> health;
    try {
      health = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + http + "/health"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("cairn-wait-ready returned 0, but the node does not serve: " + e + "\n" + log(), e);
    }
    assertThat(health.statusCode()).as("/health right after cairn-wait-ready returned 0: " + health.body())
        .isEqualTo(200);
    assertThat(Files.exists(work.resolve("data").resolve("raft"))).as("the data directory, from the unit").isTrue();

    node.destroy(); // SIGTERM, the unit's KillSignal
    assertThat(node.waitFor(seconds(service.get("TimeoutStopSec")), TimeUnit.SECONDS))
        .as("stopped within TimeoutStopSec\n" + log()).isTrue();
    assertThat(node.exitValue()).as(log()).isZero();
  }

  // ---- the unit, as systemd reads it

  /**
   * The unit with its install paths mapped to files that exist here; fails if any other /opt/cairn, /etc/cairn or
   * /var/lib/cairn path is left outside comments.
   */
  private String mappedUnit() throws IOException {
    String java = ProcessHandle.current().info().command().orElse("/usr/bin/java");
    String jar = new File(System.getProperty("cairn.jar", "target/cairn.jar")).getAbsolutePath();
    String text = Files.readString(DIR.resolve("cairn.service"))
        .replace("/opt/cairn/cairn.jar", jar)
        .replace("/opt/cairn/jvm.options", Path.of("conf/jvm.options").toAbsolutePath().toString())
        .replace("/opt/cairn/bin/cairn-wait-ready", DIR.resolve("cairn-wait-ready").toAbsolutePath().toString())
        .replace("/etc/cairn/cairn.env", envFile.toString())
        .replace("/var/lib/cairn", work.resolve("data").toString())
        .replace("/usr/bin/java", java);
    for (String line : text.split("\n")) {
      if (!line.startsWith("#")) {
        assertThat(line).as("an install path this test does not map").doesNotContain("/opt/cairn", "/etc/cairn",
            "/var/lib/cairn");
      }
    }
    return text;
  }

  /** The last value of each key of a section (comments and blank lines left out). */
  private static Map<String, String> section(String unit, String name) {
    Map<String, String> keys = new LinkedHashMap<>();
    String current = "";
    for (String raw : unit.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("[")) {
        current = line.substring(1, line.indexOf(']'));
      } else if (current.equals(name) && !line.isEmpty() && !line.startsWith("#") && !line.startsWith(";")) {
        int eq = line.indexOf('=');
        keys.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    return keys;
  }

  /** What the service's processes get: systemd's PATH, then Environment= lines, then EnvironmentFile= (wins). */
  private static Map<String, String> serviceEnvironment(String unit) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", SYSTEMD_PATH);
    List<String> files = new ArrayList<>();
    String current = "";
    for (String raw : unit.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("[")) {
        current = line;
      } else if (current.equals("[Service]") && line.startsWith("Environment=")) {
        for (String assignment : words(line.substring("Environment=".length()))) {
          int eq = assignment.indexOf('=');
          env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
        }
      } else if (current.equals("[Service]") && line.startsWith("EnvironmentFile=")) {
        files.add(line.substring("EnvironmentFile=".length()));
      }
    }
    for (String file : files) {
      boolean optional = file.startsWith("-");
      Path path = Path.of(optional ? file.substring(1) : file);
      if (!optional || Files.exists(path)) {
        env.putAll(environmentFile(path));
      }
    }
    return env;
  }

  /** KEY=VALUE lines; '#' and ';' start comments; a value in quotes loses them. */
  private static Map<String, String> environmentFile(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      int eq = line.indexOf('=');
      assertThat(eq).as("not KEY=VALUE in " + file + ": " + line).isPositive();
      String value = line.substring(eq + 1).strip();
      if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
          || value.startsWith("'") && value.endsWith("'"))) {
        value = value.substring(1, value.length() - 1);
      }
      env.put(line.substring(0, eq).strip(), value);
    }
    return env;
  }

  /**
   * A command line as systemd expands it: words split at white space (quotes keep one), {@code $NAME} alone becomes
   * the variable's words (none when it is empty), {@code ${NAME}} one word.
   */
  private static List<String> commandLine(String line, Map<String, String> env) {
    assertThat(line).as("a command line without systemd's prefixes (-, @, +, !, :)").doesNotMatch("^[-@+!:].*");
    List<String> command = new ArrayList<>();
    for (String word : words(line)) {
      Matcher whole = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)").matcher(word);
      if (whole.matches()) {
        String value = env.getOrDefault(whole.group(1), "").strip();
        if (!value.isEmpty()) {
          command.addAll(List.of(value.split("\\s+")));
        }
        continue;
      }
      Matcher braced = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(word);
      StringBuilder expanded = new StringBuilder();
      while (braced.find()) {
        braced.appendReplacement(expanded, Matcher.quoteReplacement(env.getOrDefault(braced.group(1), "")));
      }
      braced.appendTail(expanded);
      assertThat(expanded.toString()).as("a $ this test does not expand as systemd would").doesNotContain("$");
      command.add(expanded.toString());
    }
    return command;
  }

  private static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"|'([^']*)'|(\\S+)").matcher(line);
    while (m.find()) {
      words.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
    }
    return words;
  }

  /** systemd's time spans as this unit writes them: 60s, 5min, or plain seconds. */
  private static long seconds(String span) {
    Matcher m = Pattern.compile("(\\d+)\\s*(s|sec|min)?").matcher(span);
    assertThat(m.matches()).as("a time span this test reads: " + span).isTrue();
    long n = Long.parseLong(m.group(1));
    return "min".equals(m.group(2)) ? n * 60 : n;
  }

  private static void envNames(JsonObject json, String path, Set<String> into) {
    for (String key : json.fieldNames()) {
      String dotted = path.isEmpty() ? key : path + "." + key;
      if (json.getValue(key) instanceof JsonObject inner && !dotted.equals("logging.loggers")) {
        envNames(inner, dotted, into);
      } else {
        into.add(CairnConfig.envName(dotted));
      }
    }
  }

  // ---- processes

  private List<String> waitReadyCommand() {
    return List.of(DIR.resolve("cairn-wait-ready").toAbsolutePath().toString());
  }

  private record Run(int status, String output) {
  }

  /** Runs a command with systemd's PATH and these variables only; fails if it outlives {@code seconds}. */
  private Run run(List<String> command, Map<String, String> env, long seconds, String install) throws Exception {
    Path out = Files.createTempFile(work, "run", ".out");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().clear();
    pb.environment().put("PATH", SYSTEMD_PATH);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command.get(0) + " (" + install + ")", e);
    }
    if (!p.waitFor(seconds + 30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " still running after " + (seconds + 30) + " s: "
          + Files.readString(out));
    }
    return new Run(p.exitValue(), Files.readString(out).strip());
  }

  private String log() {
    try {
      List<String> lines = Files.readAllLines(nodeLog, StandardCharsets.UTF_8);
      return "node log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no node log: " + e + ")";
    }
  }
}
