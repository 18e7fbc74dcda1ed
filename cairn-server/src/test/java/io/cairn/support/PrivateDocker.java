package io.cairn.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Docker daemon of the test's own (Debian's docker.io, {@code ./run.sh test} installs it): its data root, exec root,
 * socket and configuration in a temporary directory, no bridge and no firewall rules ({@code --bridge=none
 * --iptables=false}), so that it touches neither the machine's network nor any other daemon; containers use the
 * host's network. Needs root. {@link #close} removes every container, stops the daemon by its PID (and the
 * containerd it started, found by this directory in its command line, only if the daemon had to be killed),
 * unmounts whatever is still mounted under the directory and deletes it; a JVM shutdown hook does the same if the
 * test never gets there.
 */
public final class PrivateDocker implements AutoCloseable {
  /** Debian's client, not a newer one earlier on the PATH (it negotiates the API version all the same). */
  public static final String DOCKER = "/usr/bin/docker";
  private static final String DOCKERD = "/usr/sbin/dockerd";
  private final Path dir;
  private final Process daemon;
  private final Thread hook = new Thread(this::close, "private-docker-cleanup");
  private boolean closed;

  private PrivateDocker(Path dir, Process daemon) {
    this.dir = dir;
    this.daemon = daemon;
  }

  /** Starts the daemon and waits until it answers (at most {@code within}). */
  public static PrivateDocker start(Duration within) throws IOException {
    for (String tool : List.of(DOCKERD, DOCKER)) {
      if (!Files.isExecutable(Path.of(tool))) {
        throw new IllegalStateException(tool + " is missing: apt-get install docker.io (./run.sh test does)");
      }
    }
    // Under /tmp with a short name: containerd's socket path, under the exec root, must fit a unix socket's 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cairn-docker");
    Files.writeString(dir.resolve("daemon.json"), "{}\n");
    Process p = new ProcessBuilder(DOCKERD, "--config-file", dir.resolve("daemon.json").toString(),
        "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
        "--pidfile", dir.resolve("dockerd.pid").toString(), "--host", "unix://" + dir.resolve("docker.sock"),
        "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none")
        .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
    PrivateDocker docker = new PrivateDocker(dir, p);
    Runtime.getRuntime().addShutdownHook(docker.hook);
    try {
      long deadline = System.nanoTime() + within.toNanos();
      while (true) {
        if (!p.isAlive()) {
          throw new IllegalStateException("dockerd exited with " + p.exitValue() + ":\n" + docker.daemonLog(30));
        }
        if (Files.exists(dir.resolve("docker.sock"))
            && docker.exec(Duration.ofSeconds(20), DOCKER, "-H", docker.host(), "version").status() == 0) {
          return docker;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("dockerd did not answer within " + within + ":\n" + docker.daemonLog(30));
        }
        Thread.sleep(200);
      }
    } catch (RuntimeException | InterruptedException e) {
      docker.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      throw (RuntimeException) e;
    }
  }

  /** DOCKER_HOST for clients of this daemon. */
  public String host() {
    return "unix://" + dir.resolve("docker.sock");
  }

  /** The daemon's PID. */
  public long pid() {
    return daemon.pid();
  }

  /** The environment of this daemon's clients: DOCKER_HOST, and BuildKit on. */
  public Map<String, String> environment() {
    return Map.of("DOCKER_HOST", host(), "DOCKER_BUILDKIT", "1");
  }

  public record Result(int status, String output) {
  }

  /** Runs {@code docker ARGS} against this daemon; fails with the output when it does not exit 0. */
  public String docker(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(DOCKER));
    command.addAll(List.of(args));
    Result r = exec(timeout, command.toArray(new String[0]));
    if (r.status() != 0) {
      throw new IllegalStateException("docker " + String.join(" ", args) + " exited " + r.status() + ":\n" + r.output());
    }
    return r.output();
  }

  /** Runs a command with this daemon's environment (and {@code extraEnv}) in {@code workDir} (null: this JVM's). */
  public Result exec(Duration timeout, Path workDir, Map<String, String> extraEnv, String... command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      if (workDir != null) {
        pb.directory(workDir.toFile());
      }
      pb.environment().putAll(environment());
      pb.environment().putAll(extraEnv);
      Path out = Files.createTempFile("private-docker", ".out"); // not in dir: close() runs rm -rf dir
      Process p = pb.redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        String output = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout + ":\n"
            + tail(output, 60));
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      Files.deleteIfExists(out);
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Result exec(Duration timeout, String... command) {
    return exec(timeout, null, Map.of(), command);
  }

  public String daemonLog(int lines) {
    try {
      return tail(Files.readString(dir.resolve("dockerd.log")), lines);
    } catch (IOException e) {
      return "(no dockerd.log: " + e + ")";
    }
  }

  public static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or about to
      }
    }
    try {
      if (daemon.isAlive()) {
        // Containers first, while the daemon can still stop them (anything compose left, after a failure).
        Result ids = exec(Duration.ofSeconds(30), DOCKER, "-H", host(), "ps", "-aq");
        if (ids.status() == 0 && !ids.output().isBlank()) {
          List<String> rm = new ArrayList<>(List.of(DOCKER, "-H", host(), "rm", "-f", "-v"));
          rm.addAll(List.of(ids.output().trim().split("\\s+")));
          exec(Duration.ofSeconds(60), rm.toArray(new String[0]));
        }
        daemon.destroy(); // SIGTERM: dockerd stops its containerd, unmounts and exits
        if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
          daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      // Left over only if the daemon was killed: the containerd it started and that containerd's shims, named by
      // this directory (their sockets and configuration are under it). Nothing else is touched.
      String mark = dir.toString() + "/";
      ProcessHandle.allProcesses()
          .filter(h -> h.info().commandLine().map(c -> c.contains(mark)).orElse(false))
          .forEach(h -> {
            h.destroyForcibly();
            h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
          });
      unmountUnder(dir);
      exec(Duration.ofSeconds(120), "rm", "-rf", "--one-file-system", dir.toString());
    } catch (RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println("PrivateDocker: cleaning up " + dir + " failed: " + e);
    }
  }

  /** Lazily unmounts every mount point at or under {@code dir}, deepest first. */
  private void unmountUnder(Path dir) {
    try {
      List<String> points = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String point = line.split(" ")[4].replace("\\040", " ");
        if (point.equals(dir.toString()) || point.startsWith(dir + "/")) {
          points.add(point);
        }
      }
      points.sort(Comparator.comparingInt(String::length).reversed());
      for (String point : points) {
        exec(Duration.ofSeconds(30), "umount", "-l", point);
      }
    } catch (IOException e) {
      System.out.println("PrivateDocker: could not read the mount table: " + e);
    }
  }
}
