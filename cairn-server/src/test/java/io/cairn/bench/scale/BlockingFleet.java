package io.cairn.bench.scale;

import io.cairn.bench.scale.Propagation.Observer;
import io.cairn.bench.scale.Propagation.Transport;
import io.cairn.bench.scale.WatchFleet.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Blocking queries, each a client on a connection of its own that asks again as soon as it has an answer, with the
 * index of that answer: Cairn's {@code GET /v1/services?name=&index=R&wait=60s} (index: {@code X-Cairn-Revision}, the
 * node's revision the answer reflects) and Consul's {@code GET /v1/health/service/NAME?index=N&wait=60s} (index:
 * {@code X-Consul-Index}, the revision of the name's last change). Each answer is an {@link Observer}'s observation
 * of its index. The first request of each carries no index and is answered at once.
 *
 * <p>Query j is REST or Consul by (j + j / names) % 2, on node (j / 2) % nodes, for name j % names.
 */
final class BlockingFleet {
  private static final int LANES = 200;
  private static final String WAIT = "60s";
  private static final long RETRY_MILLIS = 1000;

  private final Vertx vertx;
  private final List<Target> nodes;
  private final Propagation propagation;
  private final int names;
  private final int total;
  private final HttpClient http;
  private final Map<Transport, int[]> opened = new EnumMap<>(Transport.class);
  private final Map<Transport, AtomicLong> answers = new EnumMap<>(Transport.class);
  private final AtomicLong failures = new AtomicLong();
  private volatile Throwable firstFailure;
  private volatile boolean stopped;

  BlockingFleet(Vertx vertx, List<Target> nodes, Propagation propagation, int names, int total) {
    this.vertx = vertx;
    this.nodes = List.copyOf(nodes);
    this.propagation = propagation;
    this.names = names;
    this.total = total;
    // One connection per query: each waits on its own, as a blocking client does.
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(false),
        new PoolOptions().setHttp1MaxSize(Math.max(1, total)));
    for (Transport t : List.of(Transport.REST, Transport.CONSUL)) {
      opened.put(t, new int[nodes.size()]);
      answers.put(t, new AtomicLong());
    }
  }

  /** Starts every query of {@code transport}: done once each has had its first (immediate) answer. */
  Lanes.Outcome open(Transport transport) throws InterruptedException {
    List<Supplier<Future<?>>> tasks = new ArrayList<>();
    for (int j = 0; j < total; j++) {
      Transport t = (j + j / names) % 2 == 0 ? Transport.REST : Transport.CONSUL;
      if (t != transport) {
        continue;
      }
      Target node = nodes.get(j / 2 % nodes.size());
      int name = j % names;
      Observer observer = propagation.observer(name, transport);
      opened.get(transport)[node.index()]++;
      tasks.add(() -> ask(node, transport, name, 0, observer).onSuccess(index -> loop(node, transport, name, index,
          observer)));
    }
    return Lanes.run(tasks, LANES, 600);
  }

  int opened(Transport transport, int index) {
    return opened.get(transport)[index];
  }

  long answers(Transport transport) {
    return answers.get(transport).get();
  }

  /** Requests that failed (each is retried a second later). */
  long failures() {
    return failures.get();
  }

  Throwable firstFailure() {
    return firstFailure;
  }

  /** No query asks again after its current answer. */
  void stop() {
    stopped = true;
  }

  private void loop(Target node, Transport transport, int name, long index, Observer observer) {
    if (stopped) {
      return;
    }
    ask(node, transport, name, index, observer).onComplete(ar -> {
      if (ar.succeeded()) {
        loop(node, transport, name, ar.result(), observer);
      } else if (!stopped) {
        failures.incrementAndGet();
        if (firstFailure == null) {
          firstFailure = ar.cause();
        }
        vertx.setTimer(RETRY_MILLIS, t -> loop(node, transport, name, index, observer));
      }
    });
  }

  /** One request; its answer's index, reported to the observer as the body ends. */
  private Future<Long> ask(Target node, Transport transport, int name, long index, Observer observer) {
    String path = transport == Transport.REST ? "/v1/services?name=live-" + name : "/v1/health/service/live-" + name;
    if (index > 0) {
      path += (transport == Transport.REST ? "&" : "?") + "index=" + index + "&wait=" + WAIT;
    }
    String header = transport == Transport.REST ? "X-Cairn-Revision" : "X-Consul-Index";
    AtomicLong counter = answers.get(transport);
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(node.host()).setPort(node.port())
            .setURI(path))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException(transport + " answered " + resp.statusCode() + ": " + body);
          }
          long answered = Long.parseLong(resp.getHeader(header));
          counter.incrementAndGet();
          observer.saw(answered);
          return answered;
        }));
  }
}
