package io.cairn.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real Redis (Debian's {@code redis-server}, {@code ./run.sh test} installs it) on a free 127.0.0.1 port, with no
 * persistence (a restart forgets everything, as a cache-only Redis does), in a temporary directory of its own,
 * optionally with a password, and optionally TLS only (with the node certificate of {@link Certificates#make}). It can be killed and started again on the same port; {@link #close} kills it by its
 * PID and deletes its directory. {@link #cli} and {@link #subscribe} run {@code redis-cli} against it.
 */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private final String password;
  private final Path dir;
  /** The directory of {@link Certificates#make} when it serves TLS, or null. */
  private final Path tls;
  private Process process;

  private RedisServer(int port, String password, Path dir, Path tls) {
    this.port = port;
    this.password = password;
    this.dir = dir;
    this.tls = tls;
  }

  /** Starts one; {@code password} null or empty for none. */
  public static RedisServer start(String password) throws IOException {
    return start(password, null);
  }

  /**
   * Starts one that speaks TLS only, with {@code tls}'s node.pem (made for 127.0.0.1) signed by its ca.pem; clients
   * need no certificate.
   */
  public static RedisServer start(String password, Path tls) throws IOException {
    RedisServer redis = new RedisServer(TestNodes.freePort(), password == null ? "" : password,
        Files.createTempDirectory("cairn-redis"), tls);
    try {
      redis.startAgain();
    } catch (RuntimeException | AssertionError | IOException e) {
      redis.close();
      throw e;
    }
    return redis;
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return (tls == null ? "redis" : "rediss") + "://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  /** Starts the server (again, after {@link #kill}) on its port, and waits until it answers. */
  public void startAgain() throws IOException {
    List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
    if (tls == null) {
      command.addAll(List.of("--port", String.valueOf(port)));
    } else {
      command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(port), "--tls-auth-clients", "no",
          "--tls-cert-file", tls.resolve("node.pem").toString(), "--tls-key-file", tls.resolve("node-key.pem").toString(),
          "--tls-ca-cert-file", tls.resolve("ca.pem").toString()));
    }
    if (!password.isEmpty()) {
      command.addAll(List.of("--requirepass", password));
    }
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
    Process started = process;
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
      if (!started.isAlive()) {
        throw new AssertionError("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
      }
      return answers();
    });
  }

  /** Whether the server answers a PING (or asks for the password, which is an answer too). */
  private boolean answers() throws IOException {
    try (Socket s = tls == null ? new Socket(InetAddress.getByName("127.0.0.1"), port)
        : Certificates.sslContext(tls.resolve("ca.pem"), null).getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return line != null && (line.equals("+PONG") || line.startsWith("-NOAUTH"));
    }
  }

  /** SIGKILLs the server by its PID and waits until it is gone. */
  public void kill() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private List<String> cliCommand(String... args) {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
    if (!password.isEmpty()) {
      command.addAll(List.of("-a", password, "--no-auth-warning"));
    }
    if (tls != null) {
      command.addAll(List.of("--tls", "--cacert", tls.resolve("ca.pem").toString()));
    }
    command.addAll(List.of(args));
    return command;
  }

  /** Runs {@code redis-cli} with these arguments; its output's lines (raw: one line per element of the answer). */
  public List<String> cli(String... args) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cliCommand(args)).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("redis-cli " + String.join(" ", args) + ": " + out);
      }
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    } finally {
      p.destroyForcibly();
    }
  }

  /** {@code redis-cli SUBSCRIBE channel}, running until closed; returns once Redis confirmed the subscription. */
  public Subscriber subscribe(String channel) throws IOException, InterruptedException {
    Subscriber s = new Subscriber(new ProcessBuilder(cliCommand("SUBSCRIBE", channel)).redirectErrorStream(true).start());
    if (!s.subscribed.await(30, TimeUnit.SECONDS)) {
      s.close();
      throw new IllegalStateException("redis-cli SUBSCRIBE " + channel + " was not confirmed: " + s.lines);
    }
    return s;
  }

  /**
   * A {@code redis-cli SUBSCRIBE} process: what it printed, read on a thread of its own. Without a terminal it
   * prints each element of a reply on a line: "subscribe", the channel, 1; then "message", the channel, the payload.
   */
  public static final class Subscriber implements AutoCloseable {
    /** The payloads of the messages, in the order received. */
    public final List<String> messages = new CopyOnWriteArrayList<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CountDownLatch subscribed = new CountDownLatch(1);
    private final Process process;

    private Subscriber(Process process) {
      this.process = process;
      Thread reader = new Thread(this::read, "redis-subscriber-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
          int n = lines.size();
          if (n == 3 && lines.get(0).equals("subscribe")) {
            subscribed.countDown();
          } else if (n > 3 && n % 3 == 0 && lines.get(n - 3).equals("message")) {
            messages.add(line);
          }
        }
      } catch (IOException ended) {
        // the process was closed
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    kill();
    TempDirs.delete(dir);
  }
}
