package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One gRPC call through the gateway, over HTTP/2 to the instance as it came: headers and metadata, the request
 * stream, the answer's headers, messages and trailers ({@code grpc-status}, {@code grpc-message}, {@code -bin}
 * metadata) pass as the two ends sent them, a trailers-only answer included. What {@link Exchange} does for HTTP it
 * does after gRPC's rules:
 * <ul>
 *   <li>Retries: a connection that could not be made, for any call (nothing was sent); a trailers-only UNAVAILABLE or
 *   a stream reset before the answer's head, only once the call's stream has ended and was kept whole, on an
 *   instance not tried yet, within the route's retries and budget. Nothing else.</li>
 *   <li>Deadline: the caller's {@code grpc-timeout} goes on to the instance; if neither end closed the call by then
 *   (and {@link #DEADLINE_GRACE_MILLIS}), the caller gets DEADLINE_EXCEEDED and the instance a reset. There is no
 *   request timeout unless the route sets {@code timeouts.request} (a node-wide one would cut long streams); the
 *   connect timeout holds, and the try timeout from the end of the call's stream to the answer's head.</li>
 *   <li>An instance lost before the answer's head: the call ends UNAVAILABLE (trailers-only); after it, the stream
 *   ends with trailers saying UNAVAILABLE and naming the instance.</li>
 * </ul>
 * Every try counts for ejections, load, the breaker and the observer as an HTTP try does ({@link Attempts}).
 */
final class GrpcExchange {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcExchange.class);
  /** After the caller's deadline, how long either end still has to close the call before the gateway does. */
  static final long DEADLINE_GRACE_MILLIS = 200;
  private static final String TIMEOUT = "grpc-timeout";
  /** RST_STREAM's CANCEL: what a gRPC server reads as the caller having cancelled. */
  private static final long CANCEL = 0x8;

  private final Vertx vertx;
  private final Gateway gateway;
  private final HttpServerRequest request;
  private final Route route;
  private final ServiceState service;
  private final String uri;
  private final String requestId;
  private final MultiMap upstreamHeaders;
  private final Attempts attempts;
  private GrpcBody body;
  private UpstreamClients clients;
  private HttpClientRequest current;
  private boolean done;
  private long deadlineTimer = -1;
  /** The caller's grpc-timeout in ms (-1: none), and when the call came, so a retry passes on what is left. */
  private long deadline = -1;
  private final long arrivedNanos = System.nanoTime();
  private long requestTimer = -1;

  GrpcExchange(Vertx vertx, Gateway gateway, GatewayObserver observer, HttpServerRequest request,
               RouteState routeState, ServiceState service, Plan plan, String uri, Set<String> consumedHeaders) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.request = request;
    this.route = routeState.route;
    this.service = service;
    this.uri = uri;
    this.attempts = new Attempts(gateway, observer, routeState, service, plan);
    this.requestId = ForwardedHeaders.requestId(request);
    this.upstreamHeaders = ForwardedHeaders.upstream(request, requestId, gateway.settings().via(), consumedHeaders);
    // HTTP/2 names the authority in :authority, not Host; gRPC needs TE: trailers to reach the instance.
    upstreamHeaders.remove(HttpHeaders.HOST);
    String te = request.getHeader("te");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("trailers")) {
      upstreamHeaders.set("te", "trailers");
    }
  }

  /** Whether {@link Forwarder} hands the request here: a gRPC call over HTTP/2. */
  static boolean accepts(HttpServerRequest request) {
    return GrpcAnswers.speaksGrpc(request);
  }

  void start(UpstreamClients clients) {
    this.clients = clients;
    attempts.begin();
    request.response().closeHandler(v -> abandon());
    body = new GrpcBody(request);
    deadline = GrpcTimeout.millis(request.getHeader(TIMEOUT));
    if (deadline >= 0) {
      deadlineTimer = vertx.setTimer(deadline + DEADLINE_GRACE_MILLIS, t -> expire(deadline));
    }
    long requestTimeout = route.timeouts().requestMillis();
    if (requestTimeout > 0) {
      requestTimer = vertx.setTimer(requestTimeout, t -> {
        requestTimer = -1;
        fail(new Attempts.Failure(504, "upstream_timeout", "no answer from service '" + route.service() + "' within "
            + requestTimeout + " ms (the route's request timeout)", Map.of(), false));
      });
    }
    attempt();
  }

  private void attempt() {
    if (done) {
      return;
    }
    if (deadline >= 0 && attempts.count() > 0) {
      // A retry's instance gets the time the caller has left, not the whole of it again.
      long left = deadline - (System.nanoTime() - arrivedNanos) / 1_000_000;
      upstreamHeaders.set(TIMEOUT, Math.max(1, left) + "m");
    }
    Attempts.Try next = attempts.nextTry(request.method(), uri, upstreamHeaders,
        gateway.settings().connectTimeout(route));
    if (next == null) {
      fail(attempts.noneLeft());
      return;
    }
    clients.grpc(UpstreamClients.speaksTls(next.target())).request(next.options()).onComplete(ar -> {
      if (ar.failed()) {
        Attempts.Failure failure = attempts.connectFailed(ar.cause(), next);
        retryOr(failure.retryable(), failure);
        return;
      }
      HttpClientRequest upstream = ar.result();
      if (done) {
        upstream.reset(CANCEL);
        next.load().finished(false);
        return;
      }
      send(upstream, next);
    });
  }

  private void send(HttpClientRequest upstream, Attempts.Try attempt) {
    ServiceEntry target = attempt.target();
    current = upstream;
    if (request.authority() != null) {
      upstream.authority(request.authority());
    }
    // Failures show in the response's future; writes after the instance closed its stream are dropped.
    upstream.exceptionHandler(e -> {
    });
    long tryTimeout = gateway.settings().tryTimeout(route);
    boolean[] timedOut = {false};
    long[] tryTimer = {-1};
    // The try timeout runs from the end of the call's stream: a streaming call takes as long as its caller takes.
    body.sendTo(upstream).onSuccess(v -> {
      if (!done && current == upstream) {
        tryTimer[0] = vertx.setTimer(tryTimeout, t -> {
          timedOut[0] = true;
          upstream.reset(CANCEL);
        });
      }
    });
    upstream.response().onComplete(ar -> {
      vertx.cancelTimer(tryTimer[0]);
      if (done) {
        attempt.load().finished(false);
        return;
      }
      if (ar.failed()) {
        attempts.serverError(attempt);
        if (timedOut[0]) {
          fail(new Attempts.Failure(504, "upstream_timeout", "instance '" + target.id() + "' did not answer within "
              + tryTimeout + " ms (the route's try timeout)", Map.of(), false));
        } else {
          retryOr(body.resendable(), new Attempts.Failure(502, "bad_gateway", "instance '" + target.id()
              + "' failed before answering: " + ar.cause().getMessage(), Map.of(), true));
        }
        return;
      }
      HttpClientResponse response = ar.result();
      String trailersOnlyStatus = response.headers().get(GrpcAnswers.STATUS);
      if (trailersOnlyStatus != null && Integer.toString(GrpcAnswers.UNAVAILABLE).equals(trailersOnlyStatus.trim())
          && attempts.mayRetry(body.resendable())) {
        // Refused before any message: gRPC's one status that another instance may take.
        attempts.serverError(attempt);
        retry();
        return;
      }
      relay(response, attempt, trailersOnlyStatus != null);
    });
  }

  /** Another try when allowed (resendable, an instance left, retries and budget); else the failure is answered. */
  private void retryOr(boolean resendable, Attempts.Failure failure) {
    if (attempts.mayRetry(resendable)) {
      retry();
    } else {
      fail(failure);
    }
  }

  private void retry() {
    attempts.retried();
    current = null;
    attempt();
  }

  private void relay(HttpClientResponse response, Attempts.Try attempt, boolean trailersOnly) {
    cancel(requestTimer);
    requestTimer = -1;
    HttpServerResponse out = request.response();
    out.setStatusCode(response.statusCode());
    ForwardedHeaders.downstream(response.headers(), out.headers(), requestId, gateway.settings().via(), "h2");
    out.putHeader(ProxyAnswers.ATTEMPTS, Integer.toString(attempts.count()));
    if (!trailersOnly) {
      // A client may wait for the head before it sends anything, so it must not wait for a first message; but when
      // the message came in the same read (a unary answer), head and message leave in one write: each write to a
      // connection other than the one being read is flushed at once (a syscall, and a read at the caller).
      vertx.runOnContext(v -> {
        if (!out.headWritten() && !out.ended() && !done) {
          out.writeHead();
        }
      });
    }
    response.pipe().endOnComplete(false).to(out).onComplete(ar -> {
      if (done) {
        attempt.load().finished(false);
        return;
      }
      if (ar.failed()) {
        attempts.serverError(attempt);
        String message = "instance '" + attempt.target().id() + "' of service '" + route.service() + "' was lost during the "
            + "call: " + ar.cause().getMessage();
        log(502, message);
        response.request().reset(CANCEL);
        finish(502, GrpcAnswers.UNAVAILABLE);
        GrpcAnswers.endWith(request, GrpcAnswers.UNAVAILABLE, message, Map.of());
        return;
      }
      MultiMap trailers = response.trailers();
      String status = trailersOnly ? response.headers().get(GrpcAnswers.STATUS) : trailers.get(GrpcAnswers.STATUS);
      int code = parseStatus(status);
      if (response.statusCode() >= 500 || GrpcAnswers.isServerFailure(code)) {
        attempts.serverError(attempt);
      } else {
        service.ejections.onSuccess(attempt.target().id());
        attempt.load().finished(false);
      }
      // Counted before the end goes out: ending the caller's stream may close it at once, which reads as a cancel.
      finish(response.statusCode(), code);
      if (!trailers.isEmpty()) {
        out.trailers().addAll(trailers);
      }
      out.end();
    });
  }

  private static int parseStatus(String status) {
    try {
      return status == null ? GrpcAnswers.UNKNOWN : Integer.parseInt(status.trim());
    } catch (NumberFormatException e) {
      return GrpcAnswers.UNKNOWN;
    }
  }

  /** The caller's deadline (and the grace) passed with the call still open: it ends here, and at the instance. */
  private void expire(long deadline) {
    deadlineTimer = -1;
    if (done) {
      return;
    }
    String message = "deadline exceeded: the call's grpc-timeout of " + deadline + " ms passed at the gateway";
    log(504, message);
    finish(504, GrpcAnswers.DEADLINE_EXCEEDED);
    resetCurrent();
    GrpcAnswers.endWith(request, GrpcAnswers.DEADLINE_EXCEEDED, message, answerHeaders(Map.of()));
  }

  /** The caller cancelled (reset its stream) or went away: the instance's stream is reset too. */
  private void abandon() {
    if (!done) {
      finish(499, GrpcAnswers.CANCELLED);
      resetCurrent();
    }
  }

  /**
   * Resets the try under way (and drops what still comes of the caller's stream). Only once the call is finished:
   * the reset fails the try's answer at once, which must not read as a try to retry.
   */
  private void resetCurrent() {
    if (current != null) {
      current.reset(CANCEL);
    }
    if (body != null) {
      body.stop();
    }
  }

  private void fail(Attempts.Failure failure) {
    if (done) {
      return;
    }
    log(failure.status(), failure.message());
    finish(failure.status(), GrpcAnswers.statusFor(failure.status()));
    resetCurrent();
    Map<String, String> headers = answerHeaders(failure.headers());
    if (request.response().headWritten()) {
      GrpcAnswers.endWith(request, GrpcAnswers.statusFor(failure.status()), failure.message(), Map.of());
    } else {
      GrpcAnswers.error(request, failure.status(), failure.code(), failure.message(), headers);
    }
  }

  private Map<String, String> answerHeaders(Map<String, String> extra) {
    Map<String, String> headers = new HashMap<>(extra);
    headers.put(ProxyAnswers.ATTEMPTS, Integer.toString(attempts.count()));
    headers.put(ForwardedHeaders.REQUEST_ID, requestId);
    return headers;
  }

  /** One line per call the gateway ended itself, as {@link Exchange} logs its own answers. */
  private void log(int status, String message) {
    LOG.info("{} {} {} for service '{}' (route {}, request {}, {} tried): {}", status, request.method(), request.path(),
        route.service(), route.id(), requestId, attempts.count(), message);
  }

  /** Once per call: timers stopped, the breaker's place given back, the answer and its gRPC status counted. */
  private void finish(int httpStatus, int grpcStatus) {
    if (done) {
      return;
    }
    done = true;
    cancel(deadlineTimer);
    cancel(requestTimer);
    deadlineTimer = -1;
    requestTimer = -1;
    attempts.finish(httpStatus);
    attempts.observer().grpcStatus(route.service(), route.id(), grpcStatus);
  }

  private void cancel(long timer) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
