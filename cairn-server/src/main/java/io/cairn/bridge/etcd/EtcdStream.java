package io.cairn.bridge.etcd;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.ServiceMethod;

import java.util.function.Consumer;

/**
 * A bidirectional etcd stream that ends once ({@link LeaseKeepAlive}, {@link EtcdWatch}): opened with a first
 * request, confirmed by an answer the subclass recognises ({@link #confirmed}), and ended either by its owner
 * ({@link #close}, nothing said) or by etcd or the network: before confirmation that fails the opening, after it
 * {@code onEnd} is told.
 */
abstract class EtcdStream<Req, Resp> {
  protected final EtcdClient client;
  private final Consumer<Throwable> onEnd;
  private final Promise<Void> opened = Promise.promise();
  private GrpcClientRequest<Req, Resp> stream;
  private boolean over;

  EtcdStream(EtcdClient client, Consumer<Throwable> onEnd) {
    this.client = client;
    this.onEnd = onEnd;
  }

  /** Opens the stream with {@code first}; completes when etcd confirmed it. {@code what} names it in failures. */
  protected Future<Void> open(ServiceMethod<Resp, Req> method, Req first, String what) {
    client.open(method).compose(req -> {
      stream = req;
      req.write(first);
      return req.response();
    }).onComplete(ar -> {
      if (ar.failed()) {
        end(client.failure(what, ar.cause()));
        return;
      }
      ar.result().handler(answer -> {
        if (!over) {
          answered(answer);
        }
      });
      ar.result().endHandler(v -> end(client.ended(what, ar.result())));
      ar.result().exceptionHandler(e -> end(client.failure(what, e)));
      if (!over) {
        started();
      }
    });
    return opened.future();
  }

  /** One message from etcd. */
  protected abstract void answered(Resp answer);

  /** The stream is up (its first answer may still be on its way). */
  protected void started() {
  }

  /** etcd confirmed the stream: the opening succeeds. */
  protected void confirmed() {
    opened.tryComplete();
  }

  protected void write(Req request) {
    if (!over) {
      stream.write(request);
    }
  }

  /** The stream ends: its opening fails, or (once confirmed) {@code onEnd} is told. */
  protected void end(EtcdException why) {
    if (over) {
      return;
    }
    close();
    if (!opened.tryFail(why)) {
      onEnd.accept(why);
    }
  }

  /** Ends the stream; nobody is told. */
  protected void close() {
    over = true;
    if (stream != null) {
      stream.cancel();
    }
  }
}
