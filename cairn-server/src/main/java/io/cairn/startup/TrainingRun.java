package io.cairn.startup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the start-up archive of the fat jar for the JVM that runs this class: a class-data-sharing archive
 * ({@code -XX:ArchiveClassesAtExit}) on Java 17 to 23, an ahead-of-time cache ({@code -XX:AOTMode=record}, then
 * {@code create}; JEP 483 and, on 25, the method profiles of JEP 515) on 24 and later. Both come from a training run:
 * a real node on free 127.0.0.1 ports and a data directory of its own, started with the node's JVM flags, given
 * registrations, discoveries and the other common requests ({@link TrainingLoad}), then stopped as an operator stops
 * it (SIGTERM), which is when the JVM writes what it recorded.
 *
 * <p>The file is {@code OUT-DIR/cairn-<java.runtime.version>.jsa} (or {@code .aot}): named after the JVM, because
 * no other JVM can use it, so that {@code ./run.sh} picks the one made for the java it runs. The build runs this
 * (cairn-server's package phase, after the jar is shaded) and {@code ./run.sh} runs it once for a java that has none.
 *
 * <p>A failed training run (a port taken, a slow machine) is not a failed build: this prints why and exits 0, and
 * nodes start without an archive, only slower.
 *
 * <pre>java -cp target/cairn.jar io.cairn.startup.TrainingRun --jar target/cairn.jar --out-dir target
 *     [--work target/startup-training] [--seconds N] [-- node JVM flags...]</pre>
 */
public final class TrainingRun {
  /** Where Java's ahead-of-time cache replaced the class-data archive as the thing to make (JEP 483). */
  static final int AOT_CACHE_FEATURE = 24;
  private static final Duration READY = Duration.ofSeconds(300);
  private static final Duration STOP = Duration.ofSeconds(120);

  private final Path jar;
  private final Path outDir;
  private final Path work;
  private final int seconds;
  private final List<String> jvmFlags;
  private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private TrainingRun(Path jar, Path outDir, Path work, int seconds, List<String> jvmFlags) {
    this.jar = jar;
    this.outDir = outDir;
    this.work = work;
    this.seconds = seconds;
    this.jvmFlags = jvmFlags;
  }

  public static void main(String[] args) {
    Path jar = Path.of("target/cairn.jar");
    Path outDir = Path.of("target");
    Path work = null;
    int seconds = -1;
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--out-dir" -> outDir = Path.of(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--" -> {
          flags.addAll(Arrays.asList(args).subList(i + 1, args.length));
          i = args.length;
        }
        default -> {
          System.err.println("TrainingRun: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    boolean aot = Runtime.version().feature() >= AOT_CACHE_FEATURE;
    // Classes are all loaded after a few seconds of requests; the JIT's profiles (kept in the AOT cache from 25 on)
    // need the hot paths run some thousands of times.
    int load = seconds >= 0 ? seconds : aot ? 20 : 4;
    TrainingRun run = new TrainingRun(jar, outDir, work != null ? work : outDir.resolve("startup-training"), load,
        flags);
    try {
      Path made = aot ? run.aotCache() : run.classArchive();
      System.out.println("TrainingRun: " + made + " (" + Files.size(made) / (1 << 20) + " MB) for Java "
          + System.getProperty("java.runtime.version"));
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println("TrainingRun: no start-up archive made (nodes start without one): " + e.getMessage());
    }
  }

  /** The file this JVM's archive has: named after the JVM (the same rule as bin/node-jvm.sh's). */
  static String fileName(String runtimeVersion, boolean aot) {
    return "cairn-" + runtimeVersion.replaceAll("[^A-Za-z0-9.+_-]", "_") + (aot ? ".aot" : ".jsa");
  }

  private Path target(boolean aot) {
    return outDir.resolve(fileName(System.getProperty("java.runtime.version"), aot));
  }

  private Path classArchive() throws Exception {
    Path out = target(false);
    Path tmp = work.resolve(out.getFileName() + ".tmp");
    train(List.of("-XX:ArchiveClassesAtExit=" + tmp));
    return publish(tmp, out);
  }

  /** Two steps, as Java 24 needs (25 could do both in one run): record what the run loads and profiles, then create. */
  private Path aotCache() throws Exception {
    Path out = target(true);
    Path config = work.resolve("cairn.aotconf");
    Path tmp = work.resolve(out.getFileName() + ".tmp");
    train(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + config));
    if (!Files.exists(config)) {
      throw new IOException("the training node wrote no AOT configuration; see " + work.resolve("node.log"));
    }
    List<String> create = new ArrayList<>(List.of(java));
    create.addAll(jvmFlags);
    create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + tmp,
        "-jar", jar.toString()));
    Process p = new ProcessBuilder(create).redirectErrorStream(true)
        .redirectOutput(work.resolve("create.log").toFile()).start();
    if (!p.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("creating the AOT cache took over " + STOP.toSeconds() + " s");
    }
    Files.deleteIfExists(config); // as large as the cache, and of no use once it is made
    return publish(tmp, out);
  }

  private Path publish(Path tmp, Path out) throws IOException {
    if (!Files.exists(tmp)) {
      throw new IOException("the JVM wrote no archive; see the logs in " + work);
    }
    return Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** One node from start to a graceful stop, with {@link TrainingLoad} in between. */
  private void train(List<String> recordFlags) throws Exception {
    deleteTree(work);
    Files.createDirectories(work);
    int[] ports = freePorts(5);
    String base = "http://127.0.0.1:" + ports[0];
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvmFlags);
    command.addAll(recordFlags);
    command.addAll(List.of("-jar", jar.toString(), "-cluster", "-cluster-host", "127.0.0.1",
        "--node.id=training", "--node.dataDir=" + work.resolve("data"), "--http.host=127.0.0.1",
        "--http.port=" + ports[0], "--cluster.port=" + ports[1], "--cluster.portAutoIncrement=false",
        "--cluster.join=127.0.0.1:" + ports[1], "--cluster.raft.port=" + ports[2],
        "--cluster.name=cairn-training-" + ProcessHandle.current().pid(), "--dns.port=0",
        // ./run.sh's single node serves its proxy too: its classes belong in the archive.
        "--proxy.port=" + ports[3], "--proxy.grpcPort=" + ports[4]));
    Process node = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(work.resolve("node.log").toFile()).start();
    try {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      awaitReady(http, base, node);
      new TrainingLoad(http, base).run(Duration.ofSeconds(seconds));
      node.destroy(); // SIGTERM: the node leaves gracefully and exits, and the JVM writes the archive on its way out
      if (!node.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
        throw new IOException("the training node did not stop within " + STOP.toSeconds() + " s");
      }
    } finally {
      if (node.isAlive()) {
        node.destroyForcibly();
      }
    }
  }

  private static void awaitReady(HttpClient http, String base, Process node) throws Exception {
    HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/health")).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + READY.toNanos();
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) {
        throw new IOException("the training node exited with status " + node.exitValue());
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException("the training node was not ready within " + READY.toSeconds() + " s");
  }

  /** Ports free on 127.0.0.1 a moment ago, each distinct (held open together so none is handed out twice). */
  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
