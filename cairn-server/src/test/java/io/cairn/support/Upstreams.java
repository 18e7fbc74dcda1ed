package io.cairn.support;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link UpstreamServer}s as processes of their own (the test classes and the fat jar on the class path,
 * {@code -Xmx64m}), on free ports of 127.0.0.1, and waits until each says READY.
 */
public final class Upstreams {
  private Upstreams() {
  }

  /** One upstream process. */
  public static final class Upstream implements AutoCloseable {
    public final String id;
    public final int port;
    private final Process process;
    private final Path log;
    private final CountDownLatch ready = new CountDownLatch(1);

    private Upstream(String id, int port, Process process, Path log) {
      this.id = id;
      this.port = port;
      this.process = process;
      this.log = log;
    }

    public long pid() {
      return process.pid();
    }

    public boolean running() {
      return process.isAlive();
    }

    /** http://127.0.0.1:PORT */
    public String base() {
      return "http://127.0.0.1:" + port;
    }

    /** {@code {"requests", "inFlight", "paths"}}, asked of the upstream itself (GET /_count). */
    public JsonObject stats() {
      Http.Response r = Http.get(base() + "/_count");
      if (r.status() != 200) {
        throw new AssertionError("GET /_count on upstream " + id + ": " + r.status() + " " + r.body());
      }
      return r.json();
    }

    /** Requests it served, /_count excepted. */
    public long requests() {
      return stats().getLong("requests");
    }

    public long inFlight() {
      return stats().getLong("inFlight");
    }

    /** The paths (with queries) of the last 500 requests it served, oldest first. */
    public List<String> paths() {
      List<String> paths = new ArrayList<>();
      stats().getJsonArray("paths").forEach(p -> paths.add((String) p));
      return paths;
    }

    /** SIGKILL. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("upstream " + id + " still running 30 s after SIGKILL");
      }
    }

    /** SIGTERM, then SIGKILL if it is still there after 10 s. */
    public void stop() throws InterruptedException {
      if (!process.isAlive()) {
        return;
      }
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    }

    public String logTail(int lines) {
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }

    @Override
    public String toString() {
      return "upstream " + id + " on " + port + " (pid " + process.pid() + ")";
    }
  }

  /** Starts one upstream and waits until it listens. */
  public static Upstream start(String id) {
    return startAll(id).get(0);
  }

  /** Starts these upstreams at once (one process each) and waits until every one listens. */
  public static List<Upstream> startAll(String... ids) {
    List<Upstream> started = new ArrayList<>();
    try {
      Path dir = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-upstreams"));
      for (String id : ids) {
        started.add(launch(id, TestNodes.freePort(), dir.resolve(id + ".log")));
      }
      for (Upstream u : started) {
        if (!u.ready.await(120, TimeUnit.SECONDS)) {
          throw new AssertionError(u + " did not say READY within 120 s:\n" + u.logTail(40));
        }
        if (!u.process.isAlive()) {
          throw new AssertionError(u + " exited:\n" + u.logTail(40));
        }
      }
      return started;
    } catch (IOException e) {
      stopQuietly(started);
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      stopQuietly(started);
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (RuntimeException | AssertionError e) {
      stopQuietly(started);
      throw e;
    }
  }

  private static void stopQuietly(List<Upstream> upstreams) {
    for (Upstream u : upstreams) {
      try {
        u.kill();
      } catch (Exception | AssertionError ignored) {
        // the first failure is the one to report
      }
    }
  }

  private static Upstream launch(String id, int port, Path log) throws IOException {
    String classes;
    try {
      classes = new File(UpstreamServer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .getAbsolutePath();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    List<String> cmd = List.of(JarCluster.javaBinary(), "-Xmx64m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError", "-cp", classes + File.pathSeparator + NodeJvm.jar(),
        UpstreamServer.class.getName(), String.valueOf(port), id);
    Files.writeString(log, "==== " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Upstream u = new Upstream(id, port, process, log);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
          if (line.equals("READY " + port)) {
            u.ready.countDown();
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      } finally {
        u.ready.countDown(); // an exited process fails the wait's check, not its timeout
      }
    }, "upstream-" + id + "-output");
    reader.setDaemon(true);
    reader.start();
    // Never left behind by an interrupted run.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    return u;
  }
}
