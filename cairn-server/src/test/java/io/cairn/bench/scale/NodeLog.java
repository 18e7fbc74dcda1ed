package io.cairn.bench.scale;

import io.cairn.support.JarCluster;

import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a node's start went, from its own log: the lines that mark its milestones (in the cluster, snapshot loaded,
 * ready) with their time since the process was started, so that a slow restart shows which part was slow.
 */
final class NodeLog {
  private static final List<String> MILESTONES = List.of("admitted to cluster", "Loaded the snapshot",
      "restarted its Raft server", "is ready", "Cairn node");
  private static final int EXCERPT = 110;

  private NodeLog() {
  }

  /** The milestone lines of the node's latest start, each as "+S.s s  line", {@code startedAt} the local time. */
  static List<String> milestones(JarCluster.Node node, LocalTime startedAt) {
    List<String> lines = List.of(node.logTail(5000).split("\n"));
    int from = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("==== start ")) {
        from = i;
      }
    }
    List<String> found = new ArrayList<>();
    boolean admitted = false;
    for (String line : lines.subList(from, lines.size())) {
      String milestone = MILESTONES.stream().filter(line::contains).findFirst().orElse(null);
      if (milestone == null || line.length() < 12 || (milestone.startsWith("admitted") && admitted)) {
        continue;
      }
      admitted |= milestone.startsWith("admitted");
      try {
        Duration after = Duration.between(startedAt, LocalTime.parse(line.substring(0, 12)));
        String text = line.substring(line.indexOf(" - ") + 3);
        found.add(String.format("+%.1f s  %s", after.toMillis() / 1000.0,
            text.length() > EXCERPT ? text.substring(0, EXCERPT) + "..." : text));
      } catch (DateTimeParseException | StringIndexOutOfBoundsException notALogLine) {
        // a line of a stack trace or a banner
      }
    }
    return found;
  }
}
