package io.cairn.client;

import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Route;
import io.cairn.wire.GrpcTrailers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * A {@link CairnClient}'s watched services: one {@link ServiceCache} each, fed by a Watch stream that resumes on
 * another node when it breaks. Streams are opened and handled on the client's context; the caches are read from
 * anywhere.
 */
final class Watches {
  private static final long WATCH_SILENCE_MILLIS = 30_000;

  private final NodeCalls calls;
  private final Vertx vertx;
  private final Context context;
  private final Map<String, ServiceCache> caches = new ConcurrentHashMap<>();
  private final Map<String, List<Promise<List<Instance>>>> waitingForLoad = new ConcurrentHashMap<>();
  private final Map<String, GrpcClientRequest<WatchRequest, WatchEvent>> watchCalls = new ConcurrentHashMap<>();

  Watches(NodeCalls calls) {
    this.calls = calls;
    this.vertx = calls.vertx();
    this.context = calls.context();
  }

  /** Starts watching {@code name} unless it is already; completes with its instances once they are loaded. */
  Future<List<Instance>> watch(String name) {
    Promise<List<Instance>> loaded = Promise.promise();
    boolean[] created = {false};
    ServiceCache cache = caches.computeIfAbsent(name, n -> {
      created[0] = true;
      return new ServiceCache(n);
    });
    context.runOnContext(v -> {
      if (cache.loaded()) {
        loaded.complete(cache.all());
        return;
      }
      waitingForLoad.computeIfAbsent(name, k -> new ArrayList<>()).add(loaded);
      if (created[0]) {
        openWatch(cache, 0);
      }
    });
    return loaded.future();
  }

  /** The cache of {@code name}, or null when it is not watched. */
  ServiceCache cached(String name) {
    return caches.get(name);
  }

  List<Route> routes(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? List.of() : cache.routes();
  }

  List<Instance> instances(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? List.of() : cache.all();
  }

  long revision(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? -1 : cache.revision();
  }

  void addListener(String name, InstanceListener listener) {
    watch(name);
    caches.get(name).addListener(listener);
  }

  /**
   * Opens (or reopens, on the next node) the Watch of one cached service, from where its cache got. {@code failures}
   * counts the breaks since the stream last delivered something.
   */
  private void openWatch(ServiceCache cache, int failures) {
    if (calls.closed() || caches.get(cache.name) != cache) {
      return;
    }
    SocketAddress at = calls.node();
    int[] breaks = {failures};
    boolean[] over = {false};
    BiConsumer<GrpcStatus, MultiMap> ended = (status, trailers) -> {
      if (over[0] || calls.closed()) {
        return;
      }
      over[0] = true;
      watchCalls.remove(cache.name);
      if (status != null && !NodeCalls.isNodeProblem(status)) {
        giveUp(cache, new CairnException(status, trailers == null ? null : trailers.get(GrpcTrailers.ERROR),
            "the watch of " + cache.name + " was refused (" + status + ")", null));
        return;
      }
      if (!calls.mayRetry(breaks[0])) {
        giveUp(cache, calls.unavailable(breaks[0] + 1));
        return;
      }
      calls.retryElsewhere(at, trailers, () -> openWatch(cache, breaks[0] + 1));
    };
    calls.request(at, RegistryGrpcClient.Watch).compose(request -> {
      watchCalls.put(cache.name, request);
      return request.send(cache.resumeRequest());
    }).onComplete(ar -> {
      if (ar.failed()) {
        ended.accept(null, null);
        return;
      }
      GrpcClientResponse<WatchRequest, WatchEvent> response = ar.result();
      // A node says something at least every 10 s (a progress note when nothing changed): silence three times as
      // long means a node frozen or cut off without the connection noticing, and the watch moves on.
      long[] heardAt = {System.currentTimeMillis()};
      long silenceCheck = vertx.setPeriodic(WATCH_SILENCE_MILLIS / 3, id -> context.runOnContext(v -> {
        if (over[0]) {
          vertx.cancelTimer(id);
        } else if (System.currentTimeMillis() - heardAt[0] > WATCH_SILENCE_MILLIS) {
          vertx.cancelTimer(id);
          dropWatchCall(cache, ended);
        }
      }));
      response.handler(event -> {
        heardAt[0] = System.currentTimeMillis();
        breaks[0] = 0;
        if (cache.apply(event)) {
          completeLoad(cache);
        }
      });
      // A message the client cannot take would leave a gap: end this call and resume from the last change.
      response.invalidMessageHandler(invalid -> dropWatchCall(cache, ended));
      // A watch never ends on its own: even a clean end means the node went away.
      response.endHandler(v -> {
        vertx.cancelTimer(silenceCheck);
        ended.accept(response.status() == GrpcStatus.OK ? GrpcStatus.UNAVAILABLE : response.status(),
            response.trailers());
      });
      response.exceptionHandler(err -> {
        vertx.cancelTimer(silenceCheck);
        ended.accept(null, null);
      });
    });
  }

  /** Gives up the current call of a watch from this side (cancelling it); {@code ended} resumes it elsewhere. */
  private void dropWatchCall(ServiceCache cache, BiConsumer<GrpcStatus, MultiMap> ended) {
    GrpcClientRequest<WatchRequest, WatchEvent> call = watchCalls.get(cache.name);
    ended.accept(null, null);
    if (call != null) {
      cancel(call);
    }
  }

  /** A watch that cannot go on: whoever waits for it hears why, and a later watch() starts afresh. */
  private void giveUp(ServiceCache cache, Throwable failure) {
    caches.remove(cache.name, cache);
    failLoad(cache.name, failure);
  }

  private void completeLoad(ServiceCache cache) {
    List<Promise<List<Instance>>> waiting = waitingForLoad.remove(cache.name);
    if (waiting != null) {
      waiting.forEach(p -> p.tryComplete(cache.all()));
    }
  }

  private void failLoad(String name, Throwable failure) {
    List<Promise<List<Instance>>> waiting = waitingForLoad.remove(name);
    if (waiting != null) {
      waiting.forEach(p -> p.tryFail(failure));
    }
  }

  /** Ends every watch's stream; called once the calls are stopped, so that none resumes. */
  void cancelAll() {
    watchCalls.values().forEach(Watches::cancel);
  }

  private static void cancel(GrpcClientRequest<WatchRequest, WatchEvent> call) {
    try {
      call.cancel();
    } catch (RuntimeException alreadyOver) {
      // the stream ended meanwhile
    }
  }
}
