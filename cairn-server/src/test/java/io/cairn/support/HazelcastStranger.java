package io.cairn.support;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.cairn.config.CairnConfig;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A plain Hazelcast member (Hazelcast's own jar, no Vert.x, no Cairn) that joins a Cairn cluster's member port
 * and, for as long as it runs, writes what it can into the maps the cluster shares: a forged decision that forms
 * the Raft group with itself as the only voter, and forged node and Raft records under the honest nodes' ids. It
 * names itself a Vert.x node (the member attribute Vert.x's cluster manager sets), so that Cairn nodes take it for
 * one of theirs if anything does. Given a node that joins later (its id and Raft address), it forges, as soon as a
 * new member appears, a decision that forms the group with that member alone as its voter, under the member's real
 * identity: a node that trusted it would form a second group beside the running one.
 *
 * <p>Arguments: cluster name, member port, join list (host:port,...), honest node ids (comma-separated), and
 * optionally the late node's id and Raft address.
 */
public final class HazelcastStranger {
  private HazelcastStranger() {
  }

  /** Starts one as a process of its own: Hazelcast's jar and these test classes on its class path. */
  public static Process start(Path log, String clusterName, int port, String join, String nodeIds,
                              String... lateNode) throws IOException {
    String hazelcast = new File(Hazelcast.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .getAbsolutePath();
    String classes = new File(HazelcastStranger.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .getAbsolutePath();
    // The nodes' partition count (conf/cairn.yaml's cluster.partitions): Hazelcast refuses a member with another.
    int partitions = CairnConfig.load(List.of(), Map.of(), null).cluster().partitions();
    List<String> cmd = new ArrayList<>(List.of(JarCluster.javaBinary(), "-Xmx128m",
        "-Dhazelcast.partition.count=" + partitions, "-cp",
        hazelcast + File.pathSeparator + classes, HazelcastStranger.class.getName(), clusterName,
        String.valueOf(port), join, nodeIds));
    cmd.addAll(List.of(lateNode));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** A decision naming {@code m} alone, under the late node's id and Raft address, if it is a new member. */
  private static String forgedFor(Member m, Set<String> atStart, String[] args, String otherwise) {
    String nodeId = m.getAttribute("__vertx.nodeId");
    if (args.length <= 5 || nodeId == null || atStart.contains(nodeId)) {
      return otherwise;
    }
    return "{\"voters\":[{\"id\":\"" + args[4] + "\",\"address\":\"" + args[5] + "\",\"memberId\":\"" + nodeId
        + "\",\"hasGroup\":false,\"applied\":0,\"servingLearner\":false}]}";
  }

  public static void main(String[] args) throws InterruptedException {
    String clusterName = args[0];
    int port = Integer.parseInt(args[1]);
    List<String> join = List.of(args[2].split(","));
    String[] honest = args[3].split(",");
    Config config = new Config().setClusterName(clusterName);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.getJetConfig().setEnabled(false);
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(join);
    String fakeId = UUID.randomUUID().toString();
    config.getMemberAttributeConfig().setAttribute("__vertx.nodeId", fakeId);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
    System.out.println("stranger joined: " + hz.getCluster().getMembers().size() + " members");
    String me = "127.0.0.1:" + (port + 1);
    String forgedPeer = "{\"id\":\"%s\",\"address\":\"" + me + "\",\"memberId\":\"" + fakeId
        + "\",\"hasGroup\":true,\"applied\":999999,\"servingLearner\":true}";
    String decision = "{\"voters\":[" + String.format(forgedPeer, "stranger") + "]}";
    Set<String> atStart = new HashSet<>();
    hz.getCluster().getMembers().forEach(m -> atStart.add(String.valueOf(m.getAttribute("__vertx.nodeId"))));
    IMap<String, Object> state = hz.getMap("cairn.state");
    IMap<String, String> peers = hz.getMap("cairn.raft.peers");
    IMap<String, String> nodes = hz.getMap("cairn.nodes");
    // The moment a new member joins, long before its node reads the decision (it starts its Raft server first).
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        state.put("raft.bootstrap", forgedFor(event.getMember(), atStart, args, decision));
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
      }
    });
    while (true) {
      String forged = decision;
      for (Member m : hz.getCluster().getMembers()) {
        forged = forgedFor(m, atStart, args, forged);
      }
      state.put("raft.bootstrap", forged);
      state.put("eventsPublished", Long.MAX_VALUE / 2);
      peers.put("stranger", String.format(forgedPeer, "stranger"));
      for (String id : honest) {
        peers.put(id, String.format(forgedPeer, id));
        nodes.put(id, "{\"id\":\"" + id + "\",\"address\":\"" + me + "\"}");
      }
      Thread.sleep(500);
    }
  }
}
