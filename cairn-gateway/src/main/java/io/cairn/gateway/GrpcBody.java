package io.cairn.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * A gRPC call's request stream on its way to an instance: written to the try under way as it arrives, with
 * back-pressure (the caller is paused while the instance's stream is full), and kept while it fits in
 * {@link GatewaySettings#RETRYABLE_BODY_BYTES}, so that a call an instance refused before answering can be sent
 * whole to another one. Nothing is read before the first try has its stream: a call whose first connect fails has
 * lost nothing.
 */
final class GrpcBody {
  private final HttpServerRequest request;
  private final List<Buffer> kept = new ArrayList<>();
  private int keptBytes;
  private boolean overflow;
  private boolean ended;
  private HttpClientRequest target;
  /** Whether anything of the stream (a message, its end) went to the try under way, with the head. */
  private boolean written;
  private Promise<Void> sent;

  /** Takes over {@code request}'s stream; the request must be paused. */
  GrpcBody(HttpServerRequest request) {
    this.request = request;
    request.handler(this::arrived);
    request.endHandler(v -> ended());
    // A caller that resets its stream is handled by the exchange (its response's close); nothing to do here.
    request.exceptionHandler(e -> stop());
  }

  /**
   * Sends the call's stream to {@code upstream}: what was kept (a retry has all of it), then the rest as it
   * arrives. Completes once the stream has ended and all of it was handed to the instance's stream.
   */
  Future<Void> sendTo(HttpClientRequest upstream) {
    target = upstream;
    written = !kept.isEmpty();
    sent = Promise.promise();
    if (!upstream.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      // Over HTTP/2 this only tells Vert.x the length is not known: DATA frames carry the stream.
      upstream.setChunked(true);
    }
    for (Buffer b : kept) {
      upstream.write(b);
    }
    if (ended) {
      upstream.end();
      sent.tryComplete();
    } else {
      request.resume();
      // A bidirectional call may wait for the instance before it sends anything, so the head must not wait for a
      // first message; but one that came in the same read leaves with the head in one write (each write to the
      // instance's connection is flushed at once).
      Vertx.currentContext().runOnContext(v -> {
        if (target == upstream && !written) {
          upstream.sendHead();
        }
      });
    }
    return sent.future();
  }

  /** Whether the call can be sent again whole: its stream has ended and all of it was kept. */
  boolean resendable() {
    return ended && !overflow;
  }

  /** The try the stream went to is over: what still arrives is dropped (the caller's stream keeps flowing). */
  void stop() {
    target = null;
    kept.clear();
    overflow = true;
    if (!ended && !request.isEnded()) {
      request.resume();
    }
  }

  private void arrived(Buffer data) {
    if (!overflow) {
      if (keptBytes + data.length() <= GatewaySettings.RETRYABLE_BODY_BYTES) {
        kept.add(data);
        keptBytes += data.length();
      } else {
        overflow = true;
        kept.clear();
      }
    }
    HttpClientRequest to = target;
    if (to == null) {
      return;
    }
    written = true;
    to.write(data);
    if (to.writeQueueFull()) {
      request.pause();
      to.drainHandler(v -> {
        if (target == to) {
          request.resume();
        }
      });
    }
  }

  private void ended() {
    ended = true;
    written = true;
    if (target != null) {
      target.end();
      sent.tryComplete();
    }
  }
}
