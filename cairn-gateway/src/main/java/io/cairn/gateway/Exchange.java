package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * One request on its way through the gateway: it tries instances until one answers, within the route's retries,
 * the retry budget and the request's deadline, then relays the answer as it streams. What may be retried:
 * <ul>
 *   <li>a connection that could not be made (refused, timed out): for every method, nothing was sent;</li>
 *   <li>a 502, 503 or 504, a try timeout or a connection lost before the answer: for idempotent methods (or where
 *   the route says {@code retryNonIdempotent}), and only while the body is at hand (no body, or one small enough
 *   to keep, see {@link GatewaySettings#RETRYABLE_BODY_BYTES}).</li>
 * </ul>
 * Every try counts for the instance's passive health ({@link Ejections}) and load ({@link InstanceLoad}).
 */
final class Exchange {
  /** One line per answer the gateway makes itself (an error), with the request id the instance's logs carry too. */
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  private final Vertx vertx;
  private final Gateway gateway;
  private final GatewayObserver observer;
  final HttpServerRequest request;
  final RouteState routeState;
  final Route route;
  final ServiceState service;
  final String uri;
  final String requestId;
  final MultiMap upstreamHeaders;
  private final Plan plan;
  private final long startNanos = System.nanoTime();
  private final Tries tries;
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
    this.observer = observer;
    this.request = request;
    this.routeState = routeState;
    this.route = routeState.route;
    this.service = service;
    this.plan = plan;
    this.uri = uri;
    this.tries = new Tries(service, routeState.balancer);
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
    routeState.budget.onRequest();
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
    ServiceEntry target = tries.next(plan);
    if (target == null) {
      if (tries.count() == 0) {
        fail(503, "no_healthy_instance", Forwarder.noInstanceMessage(route));
      } else {
        fail(502, "bad_gateway", "no instance of service '" + route.service() + "' answered (" + tries.count()
            + " tried)");
      }
      return;
    }
    InstanceLoad load = service.load(target.id());
    load.started();
    RequestOptions options = new RequestOptions().setHost(target.address()).setPort(target.port())
        .setMethod(request.method()).setURI(uri).setHeaders(upstreamHeaders).setConnectTimeout(connectTimeout())
        .setFollowRedirects(false);
    clients.of(UpstreamClients.speaksTls(target)).request(options).onComplete(ar -> {
      if (ar.failed()) {
        connectFailed(ar.cause(), target, load, inService());
        return;
      }
      HttpClientRequest upstream = ar.result();
      if (done) {
        upstream.reset();
        load.finished(false);
        return;
      }
      send(upstream, target, load, inService());
    });
  }

  /**
   * No connection, so nothing was sent: another instance may take the request, whatever its method. A refused or
   * timed-out connect counts against the instance; a full pool is this node's overload, not the instance's fault.
   */
  private void connectFailed(Throwable cause, ServiceEntry target, InstanceLoad load, int inService) {
    if (cause instanceof ConnectionPoolTooBusyException) {
      load.finished(false);
      fail(503, "overloaded", "service '" + route.service() + "' has as many requests waiting for a connection as its "
          + "breaker's maxPendingRequests allows; retry later", Map.of(ProxyAnswers.OVERLOADED, "true"));
      return;
    }
    load.finished(true);
    boolean timedOut = cause instanceof ConnectTimeoutException || cause instanceof TimeoutException;
    if (timedOut || cause instanceof ConnectException) {
      // Refused, or no connection within the connect timeout (a host that does not answer at all).
      service.ejections.onConnectFailure(target.id(), inService);
    }
    retryOr(true, timedOut ? 504 : 502, timedOut ? "upstream_timeout" : "bad_gateway",
        (timedOut ? "no connection to instance '" + target.id() + "' within " + connectTimeout() + " ms"
            : "could not connect to instance '" + target.id() + "'") + ": " + cause.getMessage());
  }

  private boolean untriedLeft() {
    return tries.untriedIn(plan);
  }

  private void send(HttpClientRequest upstream, ServiceEntry target, InstanceLoad load, int inService) {
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
        load.finished(true);
        service.ejections.onServerError(target.id(), inService);
        if (timedOut[0]) {
          retryOr(mayResend(), 504, "upstream_timeout", "instance '" + target.id() + "' did not answer within "
              + tryTimeout() + " ms (the route's try timeout)");
        } else {
          retryOr(mayResend(), 502, "bad_gateway", "instance '" + target.id() + "' failed: " + ar.cause().getMessage());
        }
        return;
      }
      HttpClientResponse response = ar.result();
      int status = response.statusCode();
      if (status >= 500) {
        service.ejections.onServerError(target.id(), inService);
      } else {
        service.ejections.onSuccess(target.id());
      }
      if ((status == 502 || status == 503 || status == 504) && mayResend() && untriedLeft() && mayRetry()) {
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

  private boolean mayRetry() {
    return tries.count() <= route.retries() && routeState.budget.tryAcquire();
  }

  /** Another try when the request may be resent, an instance is left to try and the retries allow; else fails. */
  private void retryOr(boolean resendable, int status, String code, String message) {
    if (resendable && untriedLeft() && mayRetry()) {
      retry();
    } else {
      fail(status, code, message);
    }
  }

  private void retry() {
    observer.retried(route.service(), route.id());
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
    out.putHeader(ProxyAnswers.ATTEMPTS, Integer.toString(tries.count()));
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
    if (!done && current != null) {
      current.reset();
    }
    finish(499);
  }

  void fail(int status, String code, String message) {
    fail(status, code, message, Map.of());
  }

  private void fail(int status, String code, String message, Map<String, String> extra) {
    if (done) {
      return;
    }
    LOG.info("{} {} {} for service '{}' (route {}, request {}, {} tried): {}", status, request.method(), request.path(),
        route.service(), route.id(), requestId, tries.count(), message);
    Map<String, String> headers = new HashMap<>(extra);
    headers.put(ProxyAnswers.ATTEMPTS, Integer.toString(tries.count()));
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
    service.breaker.release();
    observer.answered(route.service(), route.id(), status, System.nanoTime() - startNanos, tries.count());
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
    return tries.count() > route.retries() ? null : tries.next(plan);
  }

  int attempts() {
    return tries.count();
  }

  /** Instances of the route in rotation: the ejections' bound (at most half of them out) counts against these. */
  int inService() {
    return gateway.instances().inRotation(route.service(), route.select()).size();
  }

  Vertx vertx() {
    return vertx;
  }
}
