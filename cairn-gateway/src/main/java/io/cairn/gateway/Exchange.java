package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One request on its way through the gateway: it tries instances until one answers, within the route's retries,
 * the retry budget and the request's deadline, then relays the answer as it streams. What may be retried:
 * <ul>
 *   <li>a connection that could not be made (refused, timed out): for every method, nothing was sent;</li>
 *   <li>a 502, 503 or 504, a try timeout or a connection lost before the answer: for idempotent methods (or where
 *   the route says {@code retryNonIdempotent}), and only while the body is at hand (no body, or one small enough
 *   to keep, see {@link GatewaySettings#RETRYABLE_BODY_BYTES}).</li>
 * </ul>
 * Every try counts for the instance's passive health ({@link Ejections}) and load ({@link InstanceLoad}); what
 * tries have in common with the other protocols' exchanges is in {@link Attempts}.
 */
final class Exchange {
  /** One line per answer the gateway makes itself (an error), with the request id the instance's logs carry too. */
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  private final Vertx vertx;
  private final Gateway gateway;
  final HttpServerRequest request;
  final Route route;
  final ServiceState service;
  final String uri;
  final String requestId;
  final MultiMap upstreamHeaders;
  private final Attempts attempts;
  private boolean streaming;
  private Buffer body;
  private boolean done;
  private long deadlineTimer = -1;
  private HttpClientRequest current;
  private UpstreamClients clients;

  Exchange(Vertx vertx, Gateway gateway, GatewayObserver observer, HttpServerRequest request, RouteState routeState,
           ServiceState service, Plan plan, String uri, Set<String> consumedHeaders) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.request = request;
    this.route = routeState.route;
    this.service = service;
    this.uri = uri;
    this.attempts = new Attempts(gateway, observer, routeState, service, plan);
    this.requestId = ForwardedHeaders.requestId(request);
    this.upstreamHeaders = ForwardedHeaders.upstream(request, requestId, gateway.settings().via(), consumedHeaders);
  }

  long connectTimeout() {
    return gateway.settings().connectTimeout(route);
  }

  private long tryTimeout() {
    return gateway.settings().tryTimeout(route);
  }

  private long requestTimeout() {
    return gateway.settings().requestTimeout(route);
  }

  void start(UpstreamClients clients) {
    this.clients = clients;
    attempts.begin();
    request.response().closeHandler(v -> abandon());
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    boolean chunked = request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    long declared = parseLength(length);
    if (declared < 0) {
      fail(400, "bad_request", "Content-Length must be a number of bytes");
      return;
    }
    if (!chunked && declared == 0 && request.version() != HttpVersion.HTTP_2 || request.isEnded()) {
      body = Buffer.buffer();
      startDeadline();
      attempt();
    } else if (!chunked && declared <= GatewaySettings.RETRYABLE_BODY_BYTES) {
      Future<Buffer> read = request.body();
      request.resume();
      read.onComplete(ar -> {
        if (ar.failed()) {
          fail(400, "bad_request", "the request body could not be read: " + ar.cause().getMessage());
        } else {
          body = ar.result();
          startDeadline();
          attempt();
        }
      });
    } else {
      streaming = true;
      attempt();
    }
  }

  /**
   * The request timeout counts from when the whole request is at hand: a streamed upload starts it once its body
   * was sent (a gigabyte takes what it takes), everything else at once.
   */
  private void startDeadline() {
    if (deadlineTimer >= 0 || done) {
      return;
    }
    deadlineTimer = vertx.setTimer(requestTimeout(), t -> {
      deadlineTimer = -1;
      if (current != null) {
        current.reset();
      }
      fail(504, "upstream_timeout", "no answer from service '" + route.service() + "' within "
          + requestTimeout() + " ms (the route's request timeout)");
    });
  }

  private static long parseLength(String length) {
    if (length == null) {
      return 0;
    }
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Picks an instance not tried yet (the ejected ones only when nothing else is left) and sends the request. */
  private void attempt() {
    if (done) {
      return;
    }
    Attempts.Try next = attempts.nextTry(request.method(), uri, upstreamHeaders, connectTimeout());
    if (next == null) {
      fail(attempts.noneLeft());
      return;
    }
    clients.of(UpstreamClients.speaksTls(next.target())).request(next.options()).onComplete(ar -> {
      if (ar.failed()) {
        Attempts.Failure failure = attempts.connectFailed(ar.cause(), next);
        retryOr(failure.retryable(), failure);
        return;
      }
      HttpClientRequest upstream = ar.result();
      if (done) {
        upstream.reset();
        next.load().finished(false);
        return;
      }
      send(upstream, next);
    });
  }

  private void send(HttpClientRequest upstream, Attempts.Try attempt) {
    ServiceEntry target = attempt.target();
    InstanceLoad load = attempt.load();
    current = upstream;
    boolean[] timedOut = {false};
    long[] tryTimer = {-1};
    Runnable startTry = () -> tryTimer[0] = vertx.setTimer(tryTimeout(), t -> {
      timedOut[0] = true;
      upstream.reset();
    });
    Future<HttpClientResponse> answer;
    if (streaming) {
      // A try waits for the answer once the body is sent; sending it takes as long as the client takes.
      if (!upstreamHeaders.contains(HttpHeaders.CONTENT_LENGTH)) {
        upstream.setChunked(true);
      }
      answer = upstream.response();
      request.pipeTo(upstream).onComplete(sent -> {
        if (sent.succeeded()) {
          startDeadline();
          startTry.run();
        } else {
          upstream.reset();
        }
      });
    } else {
      startTry.run();
      answer = body.length() == 0 ? upstream.send() : upstream.send(body);
    }
    answer.onComplete(ar -> {
      vertx.cancelTimer(tryTimer[0]);
      if (done) {
        load.finished(false);
        return;
      }
      if (ar.failed()) {
        attempts.serverError(attempt);
        if (timedOut[0]) {
          retryOr(mayResend(), new Attempts.Failure(504, "upstream_timeout", "instance '" + target.id()
              + "' did not answer within " + tryTimeout() + " ms (the route's try timeout)", Map.of(), true));
        } else {
          retryOr(mayResend(), new Attempts.Failure(502, "bad_gateway", "instance '" + target.id() + "' failed: "
              + ar.cause().getMessage(), Map.of(), true));
        }
        return;
      }
      HttpClientResponse response = ar.result();
      int status = response.statusCode();
      if (status >= 500) {
        service.ejections.onServerError(target.id(), attempt.inService());
      } else {
        service.ejections.onSuccess(target.id());
      }
      if ((status == 502 || status == 503 || status == 504) && attempts.mayRetry(mayResend())) {
        // The answer is dropped for another try: read it to the end so that its connection is reused.
        response.end();
        load.finished(true);
        retry();
        return;
      }
      relay(response, load);
    });
  }

  /** Whether the request can be sent again: its body is at hand and the method (or the route) allows it. */
  private boolean mayResend() {
    return !streaming && (IDEMPOTENT.contains(request.method()) || route.retryNonIdempotent());
  }

  /** Another try when the request may be resent, an instance is left to try and the retries allow; else fails. */
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

  private void relay(HttpClientResponse response, InstanceLoad load) {
    cancelDeadline();
    HttpServerResponse out = request.response();
    out.setStatusCode(response.statusCode());
    if (response.statusMessage() != null) {
      out.setStatusMessage(response.statusMessage());
    }
    ForwardedHeaders.downstream(response.headers(), out.headers(), requestId, gateway.settings().via());
    out.putHeader(ProxyAnswers.ATTEMPTS, Integer.toString(attempts.count()));
    if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH) && request.version() == HttpVersion.HTTP_1_1) {
      out.setChunked(true);
    }
    int status = response.statusCode();
    response.pipe().endOnFailure(false).to(out).onComplete(ar -> {
      load.finished(ar.failed() || status >= 500);
      if (ar.failed()) {
        // Cut, not ended: an answer whose end never came must not look complete to the client.
        response.request().reset();
        out.reset();
      }
      finish(status);
    });
  }

  /** The client went away before its answer was complete. */
  private void abandon() {
    if (request.response().ended()) {
      // An HTTP/2 stream closes inside the end() of its answer, before the relay counts it: not an abandon.
      return;
    }
    if (!done && current != null) {
      current.reset();
    }
    finish(499);
  }

  void fail(int status, String code, String message) {
    fail(status, code, message, Map.of());
  }

  private void fail(Attempts.Failure failure) {
    fail(failure.status(), failure.code(), failure.message(), failure.headers());
  }

  private void fail(int status, String code, String message, Map<String, String> extra) {
    if (done) {
      return;
    }
    LOG.info("{} {} {} for service '{}' (route {}, request {}, {} tried): {}", status, request.method(), request.path(),
        route.service(), route.id(), requestId, attempts.count(), message);
    Map<String, String> headers = new HashMap<>(extra);
    headers.put(ProxyAnswers.ATTEMPTS, Integer.toString(attempts.count()));
    headers.put(ForwardedHeaders.REQUEST_ID, requestId);
    if (streaming && !request.isEnded() && request.version() != HttpVersion.HTTP_2) {
      // A body left unread would be taken for the next request: the connection ends with this answer.
      headers.put("Connection", "close");
    }
    ProxyAnswers.error(request, status, code, message, headers);
    finish(status);
  }

  /** Once per request: the breaker's place is given back and the answer counted. */
  void finish(int status) {
    if (done) {
      return;
    }
    done = true;
    cancelDeadline();
    attempts.finish(status);
  }

  private void cancelDeadline() {
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
      deadlineTimer = -1;
    }
  }

  /**
   * For the WebSocket relay: the next instance to try, counted as a try; null when none is left or the route's
   * retries are spent.
   */
  ServiceEntry nextTarget() {
    return attempts.count() > route.retries() ? null : attempts.next();
  }

  int attempts() {
    return attempts.count();
  }

  int inService() {
    return attempts.inService();
  }

  Vertx vertx() {
    return vertx;
  }
}
