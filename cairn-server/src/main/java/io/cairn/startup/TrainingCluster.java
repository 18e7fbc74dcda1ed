package io.cairn.startup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The nodes of a training run: two real nodes of one cluster on free 127.0.0.1 ports, each with a data directory
 * and a log of its own under the work directory. Two rather than one because a node of a cluster loads what a node
 * alone never does (the Raft transport's gRPC client, some 800 classes, Hazelcast's partition migration): the first
 * node, the one that records, is the one a training load is sent to.
 */
final class TrainingCluster implements AutoCloseable {
  private static final Duration READY = Duration.ofSeconds(300);
  private static final Duration STOP = Duration.ofSeconds(120);
  private static final int NODES = 2;

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Process> processes = new ArrayList<>();
  private final int[] ports;

  /**
   * Starts the nodes: java, then jvmFlags (the first node adds recordFlags, what makes it write the archive), then the
   * jar and the node's flags.
   */
  TrainingCluster(String java, List<String> jvmFlags, List<String> recordFlags, Path jar, Path work)
      throws IOException {
    ports = freePorts(NODES * 3 + 2);
    String join = "127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[4];
    String name = "cairn-training-" + ProcessHandle.current().pid();
    for (int i = 0; i < NODES; i++) {
      List<String> command = new ArrayList<>(List.of(java));
      command.addAll(jvmFlags);
      if (i == 0) {
        command.addAll(recordFlags);
      }
      command.addAll(List.of("-jar", jar.toString(), "-cluster", "-cluster-host", "127.0.0.1",
          "--node.id=training-" + (i + 1), "--node.dataDir=" + work.resolve("data-" + (i + 1)),
          "--http.host=127.0.0.1", "--http.port=" + ports[3 * i], "--cluster.port=" + ports[3 * i + 1],
          "--cluster.portAutoIncrement=false", "--cluster.join=" + join, "--cluster.raft.port=" + ports[3 * i + 2],
          "--cluster.raft.bootstrapExpect=" + NODES, "--cluster.name=" + name, "--dns.port=0"));
      if (i == 0) {
        // ./run.sh's single node serves its proxy too: its classes belong in the archive.
        command.addAll(List.of("--proxy.port=" + ports[NODES * 3], "--proxy.grpcPort=" + ports[NODES * 3 + 1]));
      }
      processes.add(new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(work.resolve("node-" + (i + 1) + ".log").toFile()).start());
    }
  }

  HttpClient http() {
    return http;
  }

  /** The recording node's base URL. */
  String base() {
    return "http://127.0.0.1:" + ports[0];
  }

  /** Waits until every node answers /health ready. */
  void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY.toNanos();
    for (int i = 0; i < NODES; i++) {
      HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[3 * i] + "/health"))
          .timeout(Duration.ofSeconds(5)).build();
      while (!answers(health)) {
        Process p = processes.get(i);
        if (!p.isAlive()) {
          throw new IOException("training node " + (i + 1) + " exited with status " + p.exitValue());
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the training nodes were not ready within " + READY.toSeconds() + " s");
        }
        Thread.sleep(200);
      }
    }
  }

  private boolean answers(HttpRequest health) throws InterruptedException {
    try {
      return http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException notYet) {
      return false;
    }
  }

  /**
   * Stops the recording node as an operator stops a node (SIGTERM: it leaves gracefully and exits, and the JVM
   * writes what it recorded on its way out), then the other, which has nothing to give any more.
   */
  void stop() throws IOException, InterruptedException {
    Process recorder = processes.get(0);
    recorder.destroy();
    if (!recorder.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
      throw new IOException("the training node did not stop within " + STOP.toSeconds() + " s");
    }
    close();
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
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
}
