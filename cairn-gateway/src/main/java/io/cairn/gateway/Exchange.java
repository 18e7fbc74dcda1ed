package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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
 * Every try counts for the instance's passive health ({@link Ejections}) and load ({@link InstanceLoad}).
 */
final class Exchange {
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
  private final long startNanos = System.nanoTime();
  private final Set<String> tried = new HashSet<>();
  private int attempts;
  private boolean streaming;
  private Buffer body;
  private boolean done;
  private long deadlineTimer = -1;
  private HttpClientRequest current;
  private HttpClientAgent client;
  private HttpClientAgent tlsClient;

  Exchange(Vertx vertx, Gateway gateway, GatewayObserver observer, HttpServerRequest request, RouteState routeState,
           ServiceState service, String uri, Set<String> consumedHeaders) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.observer = observer;
    this.request = request;
    this.routeState = routeState;
    this.route = routeState.route;
    this.service = service;
    this.uri = uri;
    this.requestId = ForwardedHeaders.requestId(request);
    this.upstreamHeaders = ForwardedHeaders.upstream(request, requestId, gateway.settings().via(), consumedHeaders);
  }

  long connectTimeout() {
    return route.timeouts().connectMillis() > 0 ? route.timeouts().connectMillis()
        : gateway.settings().connectTimeoutMillis();
  }

  private long tryTimeout() {
    return route.timeouts().tryMillis() > 0 ? route.timeouts().tryMillis() : gateway.settings().tryTimeoutMillis();
  }

  private long requestTimeout() {
    return route.timeouts().requestMillis() > 0 ? route.timeouts().requestMillis()
        : gateway.settings().requestTimeoutMillis();
  }

  void start(HttpClientAgent plain, HttpClientAgent tls) {
    this.client = plain;
    this.tlsClient = tls;
    routeState.budget.onRequest();
    deadlineTimer = vertx.setTimer(requestTimeout(), t -> {
      deadlineTimer = -1;
      if (current != null) {
        current.reset();
      }
      fail(504, "upstream_timeout", "no answer from service '" + route.service() + "' within "
          + requestTimeout() + " ms (the route's request timeout)");
    });
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
      attempt();
    } else if (!chunked && declared <= GatewaySettings.RETRYABLE_BODY_BYTES) {
      Future<Buffer> read = request.body();
      request.resume();
      read.onComplete(ar -> {
        if (ar.failed()) {
          fail(400, "bad_request", "the request body could not be read: " + ar.cause().getMessage());
        } else {
          body = ar.result();
          attempt();
        }
      });
    } else {
      streaming = true;
      attempt();
    }
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
    List<ServiceEntry> inRotation = gateway.instances().inRotation(route.service(), route.select());
    ServiceEntry target = pick(inRotation);
    if (target == null) {
      if (attempts == 0) {
        fail(503, "no_healthy_instance", "service '" + route.service() + "' has no instance in rotation"
            + (route.select().isAll() ? "" : " that the route's select admits") + " (healthy or degraded, enabled, "
            + "not draining)");
      } else {
        fail(502, "bad_gateway", "no instance of service '" + route.service() + "' answered (" + attempts
            + " tried)");
      }
      return;
    }
    tried.add(target.id());
    attempts++;
    InstanceLoad load = service.load(target.id());
    load.started();
    RequestOptions options = new RequestOptions().setHost(target.address()).setPort(target.port())
        .setMethod(request.method()).setURI(uri).setHeaders(upstreamHeaders).setConnectTimeout(connectTimeout())
        .setFollowRedirects(false);
    boolean tls = "true".equals(target.metadata().get("proxy.tls")) || target.check() != null && target.check().tls();
    (tls ? tlsClient : client).request(options).onComplete(ar -> {
      if (ar.failed()) {
        load.finished(true);
        service.ejections.onConnectFailure(target.id(), inRotation.size());
        // Nothing was sent: another instance may take it, whatever the method.
        retryOr(true, 502, "bad_gateway", "could not connect to an instance of '" + route.service() + "': "
            + ar.cause().getMessage());
        return;
      }
      HttpClientRequest upstream = ar.result();
      if (done) {
        upstream.reset();
        load.finished(false);
        return;
      }
      send(upstream, target, load, inRotation.size());
    });
  }

  private ServiceEntry pick(List<ServiceEntry> inRotation) {
    List<ServiceEntry> fresh = new ArrayList<>(inRotation.size());
    List<ServiceEntry> ejected = new ArrayList<>();
    for (ServiceEntry e : inRotation) {
      if (!tried.contains(e.id())) {
        (service.ejections.isEjected(e.id()) ? ejected : fresh).add(e);
      }
    }
    // Ejection keeps traffic off an instance while others can serve; with none left, trying one beats refusing.
    List<ServiceEntry> candidates = fresh.isEmpty() ? ejected : fresh;
    return candidates.isEmpty() ? null : routeState.balancer.pick(candidates, service::inFlight);
  }

  private void send(HttpClientRequest upstream, ServiceEntry target, InstanceLoad load, int inService) {
    current = upstream;
    boolean[] timedOut = {false};
    long tryTimer = vertx.setTimer(tryTimeout(), t -> {
      timedOut[0] = true;
      upstream.reset();
    });
    Future<HttpClientResponse> answer;
    if (streaming) {
      request.resume();
      answer = upstream.send(request);
    } else {
      answer = upstream.send(body);
    }
    answer.onComplete(ar -> {
      vertx.cancelTimer(tryTimer);
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
      if ((status == 502 || status == 503 || status == 504) && mayResend() && mayRetry()) {
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
    return attempts <= route.retries() && routeState.budget.tryAcquire();
  }

  private void retryOr(boolean resendable, int status, String code, String message) {
    if (resendable && mayRetry()) {
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
    out.putHeader(ProxyAnswers.ATTEMPTS, Integer.toString(attempts));
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
    if (done) {
      return;
    }
    Map<String, String> headers = new HashMap<>();
    headers.put(ProxyAnswers.ATTEMPTS, Integer.toString(attempts));
    headers.put(ForwardedHeaders.REQUEST_ID, requestId);
    if (!request.isEnded() && request.version() != HttpVersion.HTTP_2) {
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
    observer.answered(route.service(), route.id(), status, System.nanoTime() - startNanos, attempts);
  }

  private void cancelDeadline() {
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
      deadlineTimer = -1;
    }
  }

  /** For the WebSocket relay: the next instance to try, counted as a try; null when none is left. */
  ServiceEntry nextTarget() {
    ServiceEntry target = pick(gateway.instances().inRotation(route.service(), route.select()));
    if (target != null) {
      tried.add(target.id());
      attempts++;
    }
    return target;
  }

  int attempts() {
    return attempts;
  }

  Vertx vertx() {
    return vertx;
  }
}
