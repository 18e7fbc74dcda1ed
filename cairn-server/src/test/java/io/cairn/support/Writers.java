package io.cairn.support;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One writer thread per node, as clients of each node would be: each registers new, distinct instance ids through
 * its node's REST API (PUT /v1/services/{id}) one after another, and records every id its node acknowledged (2xx)
 * and how every other attempt ended (503 no-quorum, another 503, another status, no answer). A writer whose node does
 * not answer at all (killed, not started yet) waits a little before trying again. Stop them with {@link #stop}.
 */
public final class Writers implements AutoCloseable {
  private final JarCluster cluster;
  private final String prefix;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final List<Set<String>> acknowledged = new ArrayList<>();
  private final List<Map<String, AtomicInteger>> outcomes = new ArrayList<>();
  private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());

  /** Starts one writer per node of {@code cluster}; ids are {@code <prefix>-<node id>-<n>}. */
  public Writers(JarCluster cluster, String prefix) {
    this.cluster = cluster;
    this.prefix = prefix;
    for (int i = 0; i < cluster.size(); i++) {
      acknowledged.add(Collections.synchronizedSet(new LinkedHashSet<>()));
      outcomes.add(new ConcurrentHashMap<>());
    }
    for (int i = 0; i < cluster.size(); i++) {
      int index = i;
      Thread t = new Thread(() -> write(index), "writer-" + prefix + "-" + cluster.node(i).id);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  private void write(int index) {
    JarCluster.Node node = cluster.node(index);
    int n = 0;
    while (running.get()) {
      String id = prefix + "-" + node.id + "-" + n++;
      String outcome;
      try {
        Http.Response r = Http.put(node.base() + "/v1/services/" + id, new JsonObject().put("name", prefix)
            .put("address", "10.1.0." + (index + 1)).put("port", 9000 + n % 1000).encode());
        if (r.status() >= 200 && r.status() < 300) {
          acknowledged.get(index).add(id);
          outcome = "acknowledged";
        } else if (r.status() == 503) {
          String error = errorCode(r);
          outcome = "503 " + error;
        } else {
          outcome = String.valueOf(r.status());
          unexpected.add(node.id + " " + id + ": " + r.status() + " " + r.body());
        }
      } catch (RuntimeException noAnswer) {
        outcome = "no answer";
      }
      outcomes.get(index).computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
      if (!outcome.equals("acknowledged")) {
        JarCluster.pause(outcome.equals("no answer") ? 100 : 20);
      }
    }
  }

  private static String errorCode(Http.Response r) {
    try {
      return r.json().getString("error");
    } catch (RuntimeException notJson) {
      return "?";
    }
  }

  /** Stops every writer and waits for its request under way to end (at most the HTTP client's timeout). */
  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(60).toMillis());
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** The ids node {@code index} acknowledged so far. */
  public Set<String> acknowledgedBy(int index) {
    synchronized (acknowledged.get(index)) {
      return new LinkedHashSet<>(acknowledged.get(index));
    }
  }

  /** Every id any node acknowledged so far. */
  public Set<String> acknowledged() {
    Set<String> all = new LinkedHashSet<>();
    for (int i = 0; i < acknowledged.size(); i++) {
      all.addAll(acknowledgedBy(i));
    }
    return all;
  }

  /** How many writes node {@code index} acknowledged so far. */
  public int acknowledgedCount(int index) {
    return acknowledged.get(index).size();
  }

  /** How node {@code index}'s attempts ended, counted: "acknowledged", "503 no-quorum", "no answer", ... */
  public Map<String, Integer> outcomes(int index) {
    Map<String, Integer> out = new TreeMap<>();
    outcomes.get(index).forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Answers that no writer should get for a valid new registration (4xx, 5xx other than 503). */
  public List<String> unexpected() {
    synchronized (unexpected) {
      return List.copyOf(unexpected);
    }
  }

  /** One line per node: its acknowledged writes and how the other attempts ended. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cluster.size(); i++) {
      sb.append(sb.length() == 0 ? "" : "; ").append(cluster.node(i).id).append(' ').append(outcomes(i));
    }
    return sb.toString();
  }
}
