package io.cairn.security;

import io.cairn.support.JarCluster;
import io.cairn.support.TestNodes;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node started with its hosts at their defaults listens on loopback only: HTTP, gRPC, the Hazelcast member port
 * (which Hazelcast binds to every interface unless told not to), the event bus, Raft and DNS, as {@code ss} lists
 * the sockets of its process.
 */
class LoopbackListenersIT {

  @Test
  void everySocketADefaultNodeListensOnIsOnLoopback() throws Exception {
    try (JarCluster cluster = new JarCluster(1, false)) {
      int dns = TestNodes.freePort();
      int grpc = TestNodes.freePort();
      JarCluster.Node node = cluster.startWithDefaultHosts(0, "--dns.port=" + dns, "--grpc.port=" + grpc);
      cluster.awaitHealthy(node, Duration.ofSeconds(180));

      List<String> tcp = sockets("-lntpH", node.pid());
      assertThat(tcp).as("TCP listeners of the node").hasSizeGreaterThanOrEqualTo(6);
      for (String line : tcp) {
        assertThat(isLoopback(localAddress(line))).as("listens on loopback: %s", line).isTrue();
      }
      String ports = String.join("\n", tcp);
      for (int port : new int[] {dns, grpc}) {
        assertThat(ports).contains(":" + port + " ");
      }
      // UDP: the DNS socket; other UDP sockets of the process are clients (the resolver's), bound to any port.
      List<String> dnsUdp = sockets("-lnupH", node.pid()).stream()
          .filter(l -> localAddress(l).endsWith(":" + dns)).toList();
      assertThat(dnsUdp).hasSize(1);
      assertThat(isLoopback(localAddress(dnsUdp.get(0)))).as(dnsUdp.get(0)).isTrue();
    }
  }

  private static List<String> sockets(String flags, long pid) throws IOException, InterruptedException {
    Process ss = new ProcessBuilder("ss", flags).redirectErrorStream(true).start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ss.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> mine = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.contains("pid=" + pid + ",")) {
        mine.add(line);
      }
    }
    return mine;
  }

  /** The fourth column of ss' output: the local address and port. */
  private static String localAddress(String line) {
    return line.trim().split("\\s+")[3];
  }

  private static boolean isLoopback(String addressAndPort) {
    String host = addressAndPort.substring(0, addressAndPort.lastIndexOf(':'));
    return host.startsWith("127.") || host.startsWith("[::ffff:127.") || host.equals("[::1]");
  }
}
