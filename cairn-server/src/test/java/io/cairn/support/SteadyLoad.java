package io.cairn.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load client for a Cairn proxy: one GET every {@code 1000 / perSecond} ms (a Vert.x timer, so a slow answer
 * does not slow the rate down) to {@code path?n=K}, by {@code Host}, until stopped; keeps every answer.
 */
public final class SteadyLoad {
  private final ProxyClient client;
  private final int proxyPort;
  private final String host;
  private final String path;
  private final List<Sent> sent = new CopyOnWriteArrayList<>();
  private final AtomicInteger n = new AtomicInteger();
  private final long timer;
  private List<ProxyClient.Reply> stopped;

  private SteadyLoad(ProxyClient client, int proxyPort, String host, String path, int perSecond) {
    this.client = client;
    this.proxyPort = proxyPort;
    this.host = host;
    this.path = path;
    this.timer = client.vertx().setPeriodic(Math.max(1, 1000 / perSecond), id -> sendOne());
  }

  private record Sent(long startNanos, CompletableFuture<ProxyClient.Reply> reply) {
  }

  public static SteadyLoad start(ProxyClient client, int proxyPort, String host, String path, int perSecond) {
    return new SteadyLoad(client, proxyPort, host, path, perSecond);
  }

  private void sendOne() {
    String sep = path.contains("?") ? "&" : "?";
    long start = System.nanoTime();
    sent.add(new Sent(start, client.get(proxyPort, host, path + sep + "n=" + n.incrementAndGet())));
  }

  /** Requests sent so far. */
  public int sent() {
    return sent.size();
  }

  /** Requests answered (or failed) so far. */
  public long completed() {
    return sent.stream().filter(x -> x.reply.isDone()).count();
  }

  /** Requests sent at or after {@code nanos} ({@link System#nanoTime}). */
  public long sentSince(long nanos) {
    return sent.stream().filter(x -> x.startNanos - nanos >= 0).count();
  }

  /** Whether every request sent before {@code nanos} has its answer (or failure). */
  public boolean doneSentBefore(long nanos) {
    return sent.stream().filter(x -> x.startNanos - nanos < 0).allMatch(x -> x.reply.isDone());
  }

  /**
   * Stops sending, waits (up to 90 s) for the answers of what was sent, and returns them in order of sending (the
   * same list when called again).
   */
  public synchronized List<ProxyClient.Reply> stop() {
    if (stopped != null) {
      return stopped;
    }
    client.vertx().cancelTimer(timer);
    List<ProxyClient.Reply> replies = new ArrayList<>();
    for (Sent x : sent) {
      try {
        replies.add(x.reply.get(90, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a request of the load got no answer within 90 s", e);
      }
    }
    stopped = List.copyOf(replies);
    return stopped;
  }

  /** The answers so far, without stopping. */
  public List<ProxyClient.Reply> answered() {
    return sent.stream().filter(x -> x.reply.isDone()).map(x -> x.reply.join()).toList();
  }
}
