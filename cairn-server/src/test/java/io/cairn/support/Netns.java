package io.cairn.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts in network namespaces: one namespace per node, each with a veth pair into a bridge that this test
 * creates, on a private /24 that exists only inside this machine. The test process (in the root namespace, with the
 * bridge's address) reaches every node; {@link #isolate} cuts one node off from the others with blackhole routes
 * inside the namespaces, in both directions, and {@link #reconnect} removes them. Needs root and iproute2.
 */
public final class Netns implements AutoCloseable {
  private final String tag;
  private final String subnet;
  private final int size;
  private final List<String> namespaces = new ArrayList<>();

  private Netns(int size) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    this.tag = Integer.toHexString(0x1000 + random.nextInt(0xefff));
    this.subnet = "10." + (200 + random.nextInt(50)) + "." + random.nextInt(256);
    this.size = size;
  }

  public static Netns create(int size) throws IOException {
    Netns n = new Netns(size);
    try {
      n.setUp();
    } catch (IOException | RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  private String bridge() {
    return "cbr" + tag;
  }

  private String namespace(int i) {
    return "cairn-" + tag + "-" + i;
  }

  public String address(int i) {
    return subnet + "." + (10 + i);
  }

  private void setUp() throws IOException {
    run("ip", "link", "add", bridge(), "type", "bridge");
    run("ip", "addr", "add", subnet + ".1/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    for (int i = 0; i < size; i++) {
      String ns = namespace(i);
      String hostSide = "cv" + tag + "h" + i;
      String nodeSide = "cv" + tag + "n" + i;
      run("ip", "netns", "add", ns);
      namespaces.add(ns);
      run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", nodeSide);
      run("ip", "link", "set", hostSide, "master", bridge());
      run("ip", "link", "set", hostSide, "up");
      run("ip", "link", "set", nodeSide, "netns", ns);
      run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", nodeSide);
      run("ip", "netns", "exec", ns, "ip", "link", "set", nodeSide, "up");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }
  }

  /** The command prefix that runs a program inside node {@code i}'s namespace. */
  public List<String> exec(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  /** Node {@code i} and every other node no longer reach each other; the bridge's address still reaches all. */
  public void isolate(int i) throws IOException {
    routes(i, "add");
  }

  public void reconnect(int i) throws IOException {
    routes(i, "del");
  }

  private void routes(int i, String op) throws IOException {
    for (int j = 0; j < size; j++) {
      if (j != i) {
        run("ip", "netns", "exec", namespace(i), "ip", "route", op, "blackhole", address(j) + "/32");
        run("ip", "netns", "exec", namespace(j), "ip", "route", op, "blackhole", address(i) + "/32");
      }
    }
  }

  @Override
  public void close() {
    for (String ns : namespaces) {
      runQuietly("ip", "netns", "del", ns);
    }
    runQuietly("ip", "link", "del", bridge());
  }

  private static void run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): "
          + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim()
          + " (network namespaces need root and iproute2; .ci/run installs iproute2)");
    }
  }

  private static void runQuietly(String... cmd) {
    try {
      run(cmd);
    } catch (IOException ignored) {
      // Cleaning up what may not exist.
    }
  }
}
