package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.MultiMap;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.net.ConnectException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * What every kind of exchange (HTTP, gRPC, WebSocket) does alike about one request's tries: which instance is next,
 * whether a retry is allowed (the route's retries, its budget, an instance left), how a failed connect counts against
 * the instance, and, once, the breaker's place given back and the answer counted. The exchanges decide what may be
 * resent; this decides the rest, so that a try counts the same whatever the protocol.
 */
final class Attempts {
  /** A failure the gateway answers itself, unless a retry takes its place. */
  record Failure(int status, String code, String message, Map<String, String> headers, boolean retryable) {
  }

  /**
   * One try: its instance, the instance's load (counted as started), how many instances were in rotation when it was
   * picked (what ejection weighs a failure against), and the request for it.
   */
  record Try(ServiceEntry target, InstanceLoad load, int inService, RequestOptions options) {
  }

  final Gateway gateway;
  final RouteState routeState;
  final Route route;
  final ServiceState service;
  private final GatewayObserver observer;
  private final Plan plan;
  private final Tries tries;
  private final long startNanos = System.nanoTime();
  private boolean finished;

  /** @param plan where the request may go, settled before its first try ({@link TrafficPlanner}) */
  Attempts(Gateway gateway, GatewayObserver observer, RouteState routeState, ServiceState service, Plan plan) {
    this.gateway = gateway;
    this.observer = observer;
    this.routeState = routeState;
    this.route = routeState.route;
    this.service = service;
    this.plan = plan;
    this.tries = new Tries(service, routeState.balancer);
  }

  /** A first try is about to go out: the retry budget counts requests. */
  void begin() {
    routeState.budget.onRequest();
  }

  /**
   * The route's instances in rotation: what ejection weighs a failure against (at most half of them out), whatever
   * side or zone the plan prefers.
   */
  int inService() {
    return gateway.instances().inRotation(route.service(), route.select()).size();
  }

  /** The next instance to try, counted as a try; null when every instance the plan allows was tried. */
  ServiceEntry next() {
    return tries.next(plan);
  }

  /**
   * The next try, to an instance not tried yet, its load counted as started; null when none is left
   * ({@link #noneLeft} says why).
   */
  Try nextTry(HttpMethod method, String uri, MultiMap headers, long connectTimeout) {
    ServiceEntry target = next();
    if (target == null) {
      return null;
    }
    InstanceLoad load = service.load(target.id());
    load.started();
    return new Try(target, load, inService(), new RequestOptions().setHost(target.address())
        .setPort(target.port()).setMethod(method).setURI(uri).setHeaders(headers).setConnectTimeout(connectTimeout)
        .setFollowRedirects(false));
  }

  /** The try failed as an instance fails (5xx, lost before its end, timed out): it counts for ejection and load. */
  void serverError(Try t) {
    t.load().finished(true);
    service.ejections.onServerError(t.target().id(), t.inService());
  }

  /** Why {@link #next} found nothing: no instance at all (503), or none left of those tried (502). */
  Failure noneLeft() {
    if (tries.count() == 0) {
      return new Failure(503, "no_healthy_instance", Forwarder.noInstanceMessage(route), Map.of(), false);
    }
    return new Failure(502, "bad_gateway", "no instance of service '" + route.service() + "' answered ("
        + tries.count() + " tried)", Map.of(), false);
  }

  /**
   * A connection that could not be made: nothing was sent, so another instance may take the request. A refused or
   * timed-out connect counts against the instance; a full pool is this node's overload, not the instance's fault,
   * and is answered at once.
   */
  Failure connectFailed(Throwable cause, Try t) {
    ServiceEntry target = t.target();
    if (cause instanceof ConnectionPoolTooBusyException) {
      t.load().finished(false);
      return new Failure(503, "overloaded", "service '" + route.service() + "' has as many requests waiting for a "
          + "connection as its breaker's maxPendingRequests allows; retry later",
          Map.of(ProxyAnswers.OVERLOADED, "true"), false);
    }
    t.load().finished(true);
    boolean timedOut = cause instanceof ConnectTimeoutException || cause instanceof TimeoutException;
    if (timedOut || cause instanceof ConnectException) {
      // Refused, or no connection within the connect timeout (a host that does not answer at all).
      service.ejections.onConnectFailure(target.id(), t.inService());
    }
    return new Failure(timedOut ? 504 : 502, timedOut ? "upstream_timeout" : "bad_gateway",
        (timedOut ? "no connection to instance '" + target.id() + "' within " + t.options().getConnectTimeout()
            + " ms"
            : "could not connect to instance '" + target.id() + "'") + ": " + cause.getMessage(), Map.of(), true);
  }

  /** Whether an instance the plan allows was not tried yet, so that dropping an answer for another try can pay off. */
  boolean untriedLeft() {
    return tries.untriedIn(plan);
  }

  /**
   * Whether a failed try is retried: the request can be sent again ({@code resendable}, the exchange's call), an
   * instance is left to try, and the route's retries and its budget allow one more (then the budget counts it).
   */
  boolean mayRetry(boolean resendable) {
    return resendable && untriedLeft() && tries.count() <= route.retries() && routeState.budget.tryAcquire();
  }

  /** A retry goes out. */
  void retried() {
    observer.retried(route.service(), route.id());
  }

  int count() {
    return tries.count();
  }

  /** Once per request: the breaker's place is given back and the answer counted. False if it was already. */
  boolean finish(int status) {
    if (finished) {
      return false;
    }
    finished = true;
    service.breaker.release();
    observer.answered(route.service(), route.id(), status, System.nanoTime() - startNanos, tries.count());
    return true;
  }

  boolean finished() {
    return finished;
  }

  GatewayObserver observer() {
    return observer;
  }
}
