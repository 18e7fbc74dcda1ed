package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.InstanceListener;
import io.cairn.grpc.v1.Instance;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

@Command(name = "watch", description = {"Prints the changes of one service (or of all) as they happen.",
    "First the instances there are now ('present'), then 'registered', 'changed' and 'deregistered' lines. When the "
        + "node it follows goes away the watch goes on from another node of --addr (or of the cluster), after the "
        + "last change it printed. Runs until interrupted (Ctrl-C), or until --count changes were printed."})
final class WatchCommand extends ClusterCommand {
  @Parameters(arity = "0..1", paramLabel = "NAME", description = "A service name; all services without it.")
  String name;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N changes (the first list not counted).")
  Integer count;

  /** Each instance's revision as last printed, to tell a registration from a change and to skip a repeat. */
  private final Map<String, Long> printed = new HashMap<>();
  private volatile boolean listed;
  private final AtomicInteger changes = new AtomicInteger();
  private final CountDownLatch done = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    if (count != null && count < 1) {
      throw new CliFailure(CliFailure.USAGE, "--count is at least 1");
    }
    String watched = name == null ? CairnClient.EVERYTHING : name;
    try (Cluster cluster = connection.open()) {
      CairnClient client = cluster.client();
      // Listeners run on the client's event loop, one at a time: the map needs no lock.
      client.addListener(watched, new InstanceListener() {
        @Override
        public void changed(Instance instance, boolean removed) {
          print(instance, removed);
        }
      });
      // Set on the client's loop as the first snapshot is in, before any later event is handled there.
      cluster.await(client.watch(watched).onSuccess(instances -> listed = true));
      done.await();
    }
    return 0;
  }

  private void print(Instance instance, boolean removed) {
    Long before = printed.get(instance.getId());
    String kind;
    if (removed) {
      printed.remove(instance.getId());
      kind = "deregistered";
    } else if (before != null && before == instance.getRevision()) {
      return; // the same instance again, from a snapshot after the watch moved to another node
    } else {
      printed.put(instance.getId(), instance.getRevision());
      kind = !listed ? "present" : before == null ? "registered" : "changed";
    }
    PrintWriter out = out();
    if (output.structured()) {
      out.println(new JsonObject().put("type", kind).put("instance", Instances.json(instance)).encode());
    } else {
      out.println(Instant.now() + " " + kind + " " + Instances.line(instance));
    }
    out.flush();
    if (listed && count != null && changes.incrementAndGet() >= count) {
      done.countDown();
    }
  }
}
