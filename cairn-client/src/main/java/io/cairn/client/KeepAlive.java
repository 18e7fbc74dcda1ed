package io.cairn.client;

import io.cairn.grpc.v1.HeartbeatMessage;
import io.cairn.grpc.v1.HeartbeatReply;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.Ping;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.grpc.v1.ShutdownNotice;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClientRequest;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An agent's Heartbeat stream to the cluster ({@link CairnClient#keepAlive}): pings while the local service is
 * healthy, a new stream on another node when this one breaks, and at the end a shutdown notice that drains the
 * instances. Runs on the client's event loop.
 */
public final class KeepAlive implements AutoCloseable {
  private final NodeCalls calls;
  /** The client's Drain call, for when the stream cannot carry the shutdown notice. */
  private final Function<String, Future<Instance>> drain;
  private final List<String> ids;
  private final long everyMillis;
  private final BooleanSupplier healthy;
  private final Consumer<List<String>> onUnknown;
  private GrpcClientRequest<HeartbeatMessage, HeartbeatReply> stream;
  private Promise<Void> drained;
  private long sequence;
  private long timer = -1;
  private volatile boolean stopped;
  private volatile long lastPong;
  /** When the oldest ping not yet answered went out (0: none outstanding). */
  private long lastSent;
  /** Ends the current stream and opens one on the next node (once per stream). */
  private Runnable onBroken = () -> { };

  KeepAlive(NodeCalls calls, Function<String, Future<Instance>> drain, List<String> ids, long everyMillis,
            BooleanSupplier healthy, Consumer<List<String>> onUnknown) {
    this.calls = calls;
    this.drain = drain;
    this.ids = List.copyOf(ids);
    this.everyMillis = everyMillis;
    this.healthy = healthy;
    this.onUnknown = onUnknown;
  }

  /** When the cluster last answered a ping (epoch ms; 0: not yet). */
  public long lastPong() {
    return lastPong;
  }

  void connect() {
    if (stopped || calls.closed()) {
      return;
    }
    SocketAddress at = calls.node();
    boolean[] over = {false};
    Runnable broken = () -> {
      if (over[0] || stopped) {
        return;
      }
      over[0] = true;
      stream = null;
      calls.retryElsewhere(at, null, this::connect);
    };
    onBroken = broken;
    calls.request(at, RegistryGrpcClient.Heartbeat).onComplete(ar -> {
      if (ar.failed()) {
        broken.run();
        return;
      }
      GrpcClientRequest<HeartbeatMessage, HeartbeatReply> request = ar.result();
      request.exceptionHandler(err -> broken.run());
      request.response().onComplete(response -> {
        if (response.failed()) {
          broken.run();
          return;
        }
        response.result().handler(this::onReply);
        response.result().exceptionHandler(err -> broken.run());
        response.result().endHandler(v -> {
          if (response.result().trailers() != null) {
            calls.moveOn(at, response.result().trailers());
          }
          broken.run();
        });
      });
      stream = request;
      ping();
    });
    if (timer < 0) {
      timer = calls.vertx().setPeriodic(everyMillis, id -> calls.context().runOnContext(v -> ping()));
    }
  }

  private void ping() {
    if (stream != null && !stopped && lastSent > 0 && lastPong < lastSent
        && System.currentTimeMillis() - lastSent > 3 * everyMillis) {
      // Pings go out and nothing comes back: the node is frozen or cut off without the connection saying so.
      GrpcClientRequest<HeartbeatMessage, HeartbeatReply> silent = stream;
      stream = null;
      lastSent = 0;
      try {
        silent.cancel();
      } catch (RuntimeException alreadyOver) {
        // it broke meanwhile
      }
      onBroken.run();
      return;
    }
    if (stream != null && !stopped && healthy.getAsBoolean()) {
      if (lastSent == 0 || lastPong >= lastSent) {
        lastSent = System.currentTimeMillis();
      }
      stream.write(HeartbeatMessage.newBuilder().setPing(Ping.newBuilder().addAllInstanceIds(ids)
          .setSequence(++sequence)).build());
    }
  }

  private void onReply(HeartbeatReply reply) {
    if (reply.hasPong()) {
      lastPong = System.currentTimeMillis();
      if (reply.getPong().getUnknownIdsCount() > 0) {
        onUnknown.accept(reply.getPong().getUnknownIdsList());
      }
    } else if (reply.hasDrained() && drained != null) {
      drained.tryComplete();
    }
  }

  /**
   * The shutdown notice: the instances drain (discovery stops returning them at once). Completes when the cluster
   * confirmed it; over a broken stream the client's Drain call does the same.
   */
  public Future<Void> shutdown() {
    Promise<Void> done = Promise.promise();
    calls.context().runOnContext(v -> {
      stopped = true;
      calls.vertx().cancelTimer(timer);
      drained = done;
      if (stream != null) {
        stream.write(HeartbeatMessage.newBuilder().setShutdown(ShutdownNotice.newBuilder().addAllInstanceIds(ids))
            .build());
        calls.vertx().setTimer(5_000, id -> drainByCalls(done));
      } else {
        drainByCalls(done);
      }
    });
    return done.future().onComplete(ar -> endStream());
  }

  private void drainByCalls(Promise<Void> done) {
    if (done.future().isComplete()) {
      return;
    }
    Future.all(ids.stream().map(drain).toList()).<Void>mapEmpty().onComplete(done);
  }

  private void endStream() {
    calls.context().runOnContext(v -> {
      if (stream != null) {
        try {
          stream.end();
        } catch (IllegalStateException alreadyOver) {
          // the stream broke meanwhile
        }
        stream = null;
      }
    });
  }

  @Override
  public void close() {
    stopped = true;
    calls.vertx().cancelTimer(timer);
    endStream();
  }
}
