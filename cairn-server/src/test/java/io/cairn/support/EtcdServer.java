package io.cairn.support;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's {@code /usr/bin/etcd}, installed by {@code ./run.sh test}) as a process of the test's own: a
 * single member on free 127.0.0.1 ports with a temporary data directory, plain or (with a certificate directory
 * from {@link Certificates#make}) TLS with client certificates. {@link #etcdctl} runs etcd's own command line
 * against it. {@link #close} stops it by its PID and deletes its directory.
 */
public final class EtcdServer implements AutoCloseable {
  private static final String ETCD = "/usr/bin/etcd";
  private static final String ETCDCTL = "/usr/bin/etcdctl";

  /** One key as etcd holds it. */
  public record Entry(String value, long createRevision, long modRevision, long version, long lease) {
    public JsonObject json() {
      return new JsonObject(value);
    }
  }

  private final Path dir;
  private final Path tls;
  private final int clientPort;
  private final Process process;

  private EtcdServer(Path tls) throws IOException {
    this.tls = tls;
    this.dir = Files.createTempDirectory("cairn-etcd");
    this.clientPort = TestNodes.freePort();
    int peerPort = TestNodes.freePort();
    String peer = "http://127.0.0.1:" + peerPort;
    List<String> cmd = new ArrayList<>(List.of(ETCD, "--name", "t", "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", endpoint(), "--advertise-client-urls", endpoint(),
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "t=" + peer,
        "--initial-cluster-state", "new",
        // a progress notification each second (etcd's default is 10 minutes), so that a test sees them
        "--experimental-watch-progress-notify-interval", "1s"));
    if (tls != null) {
      Collections.addAll(cmd, "--cert-file", tls.resolve("node.pem").toString(), "--key-file",
          tls.resolve("node-key.pem").toString(), "--trusted-ca-file", tls.resolve("ca.pem").toString(),
          "--client-cert-auth");
    }
    this.process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("etcd.log").toFile()).start();
  }

  /** Starts etcd and waits until it answers. */
  public static EtcdServer start() {
    return start(null);
  }

  /**
   * Starts etcd serving TLS with {@code certs}' node certificate, requiring client certificates signed by its CA
   * (etcdctl presents {@code certs}' client certificate {@code client}); waits until it answers.
   */
  public static EtcdServer start(Path certs) {
    EtcdServer server = null;
    try {
      server = new EtcdServer(certs);
      server.awaitAnswering();
      return server;
    } catch (IOException | RuntimeException | Error e) {
      if (server != null) {
        server.close();
      }
      throw new IllegalStateException("etcd did not start: " + e.getMessage(), e);
    }
  }

  private void awaitAnswering() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("etcd exited with status " + process.exitValue() + ":\n" + logTail());
      }
      Result r = run("endpoint", "health", "--command-timeout=2s");
      if (r.status() == 0) {
        return;
      }
      last = r.output();
      JarCluster.pause(100);
    }
    throw new IllegalStateException("etcd not answering after 60 s: " + last + "\n" + logTail());
  }

  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
  }

  public long pid() {
    return process.pid();
  }

  /** Runs etcdctl (API v3) against this etcd; answers its output, or fails with it when etcdctl fails. */
  public String etcdctl(String... args) {
    Result r = run(args);
    if (r.status() != 0) {
      throw new AssertionError("etcdctl " + String.join(" ", args) + " failed (" + r.status() + "): " + r.output());
    }
    return r.output();
  }

  /** Every key under {@code prefix} ({@code etcdctl get --prefix -w json}), in key order. */
  public Map<String, Entry> entries(String prefix) {
    JsonObject answer = new JsonObject(etcdctl("get", "--prefix", prefix, "-w", "json"));
    Map<String, Entry> entries = new TreeMap<>();
    if (answer.getJsonArray("kvs") != null) {
      for (Object o : answer.getJsonArray("kvs")) {
        JsonObject kv = (JsonObject) o;
        entries.put(decode(kv.getString("key")), new Entry(decode(kv.getString("value", "")),
            kv.getLong("create_revision", 0L), kv.getLong("mod_revision", 0L), kv.getLong("version", 0L),
            kv.getLong("lease", 0L)));
      }
    }
    return entries;
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private record Result(int status, String output) {
  }

  private Result run(String... args) {
    List<String> cmd = new ArrayList<>(List.of(ETCDCTL, "--endpoints=" + endpoint()));
    if (tls != null) {
      Collections.addAll(cmd, "--cacert=" + tls.resolve("ca.pem"), "--cert=" + tls.resolve("client.pem"),
          "--key=" + tls.resolve("client-key.pem"));
    }
    Collections.addAll(cmd, args);
    try {
      Path out = Files.createTempFile(dir, "etcdctl", ".out");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("ETCDCTL_API", "3");
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Result(-1, "etcdctl still running after 60 s");
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      Files.delete(out);
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      throw new IllegalStateException("etcdctl: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The last lines of etcd's log, for a failure message. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("etcd.log"), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Stops etcd (SIGTERM, then SIGKILL after 10 s) and deletes its directory. */
  @Override
  public void close() {
    try {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      TempDirs.delete(dir);
    }
  }
}
