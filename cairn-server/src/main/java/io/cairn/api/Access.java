package io.cairn.api;

import io.cairn.config.SecuritySettings;
import io.cairn.security.AuditLog;
import io.cairn.security.PeerCertificates;
import io.cairn.security.Security;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The one place that decides who a caller is and what it may do, for every transport: a token or a client
 * certificate becomes a {@link Caller}, and each operation asks {@link #require} before it acts. Denials are 401
 * (nobody we know) or 403 (somebody not allowed this), and land in the audit log with every accepted write and
 * every operate or admin action. Also the per-caller limits: writes per second and open streams.
 */
public final class Access {
  public static final String CLUSTER = "cluster";
  private static final Logger audit = LoggerFactory.getLogger(AuditLog.LOGGER);

  private final Security security;
  private final int writesPerSecond;
  private final int writeBurst;
  private final int streamsPerCaller;
  private final int proxyRequestsPerSecond;
  private final int proxyBurst;
  private final Map<String, WriteBucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, WriteBucket> proxyBuckets = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> streams = new ConcurrentHashMap<>();

  public Access(SecuritySettings settings, Security security) {
    this.security = security;
    this.writesPerSecond = settings.writesPerSecond();
    this.writeBurst = settings.writeBurst();
    this.streamsPerCaller = settings.streamsPerCaller();
    this.proxyRequestsPerSecond = settings.proxyRequestsPerSecond();
    this.proxyBurst = settings.proxyBurst();
  }

  /** Whether callers must say who they are (tokens or client certificates are on). */
  public boolean enforced() {
    return security.enabled();
  }

  public static String service(String name) {
    return "service:" + name;
  }

  /**
   * Who calls over HTTP (REST, streams, gRPC): the {@code Authorization: Bearer …} header or gRPC metadata, else a
   * token the transport takes another way ({@code otherToken}: a browser's stream sends it as a query parameter or
   * cookie), and under mutual TLS the connection's client certificate. On a node without security, anonymous
   * whatever the request carries.
   */
  public Caller authenticate(String authorization, Supplier<String> otherToken, HttpConnection connection) {
    SocketAddress address = connection.remoteAddress();
    String remote = address == null ? "-" : address.hostAddress();
    if (!security.enabled()) {
      return Caller.anonymous(remote);
    }
    String token;
    if (authorization == null) {
      token = otherToken.get();
    } else if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
    } else {
      throw new ApiException(401, "unauthenticated", "authorization must be 'Bearer <token>'");
    }
    String cn = security.certificatesIdentify() ? PeerCertificates.subjectCn(connection) : null;
    return authenticate(token, cn, remote);
  }

  /**
   * Who this is: the token's name when a token is given to a node that takes tokens (an unknown one is refused, even
   * when a certificate would do), else the client certificate's CN under mutual TLS, else nobody (401) on a node with security, or
   * {@link Caller#ANONYMOUS} on one without.
   *
   * @param token   the bearer secret, or null
   * @param certCn  the verified client certificate's subject CN, or null
   * @param remote  the caller's address, for the audit log
   */
  public Caller authenticate(String token, String certCn, String remote) {
    if (!security.enabled()) {
      return Caller.anonymous(remote);
    }
    if (token != null && !token.isEmpty() && security.tokensEnabled()) {
      String name = security.tokenName(token);
      if (name == null) {
        throw unauthenticated(remote, "the token is not known to this node (unknown, revoked, or mistyped)");
      }
      return new Caller(name, remote);
    }
    if (certCn != null && security.certificatesIdentify()) {
      return new Caller(certCn, remote);
    }
    throw unauthenticated(remote, security.tokensEnabled()
        ? "send a token: Authorization: Bearer <token>" : "present a client certificate (mutual TLS)");
  }

  private ApiException unauthenticated(String remote, String message) {
    record(new Caller("-", remote), "authenticate", "-", "unauthenticated", -1);
    return new ApiException(401, "unauthenticated", message);
  }

  /**
   * Whether the caller may; no audit line (filters of reads and watches ask this per item). On a node with security,
   * {@code anonymous} is the caller of a transport that carries no credentials (DNS): it may only what the ACL policy
   * grants the subject {@code anonymous}, and nothing without a policy (where an HTTP caller without credentials
   * gets 401).
   */
  public boolean allowed(Caller caller, String object, Action action) {
    if (caller == Caller.NODE) {
      return true;
    }
    if (unauthenticated(caller) && !security.acl().enforced()) {
      return false;
    }
    return security.acl().allowed(caller.name(), object, action.policyName());
  }

  /** Whether every read is open to this caller, so that answers need no filtering: no policy, and a caller who counts. */
  public boolean readsEverything(Caller caller) {
    return caller == Caller.NODE || !security.acl().enforced() && !unauthenticated(caller);
  }

  private boolean unauthenticated(Caller caller) {
    return security.enabled() && Caller.ANONYMOUS.equals(caller.name());
  }

  /** Refuses (403, audited) unless the caller may do {@code action} on {@code object}. */
  public void require(Caller caller, String object, Action action, String operation) {
    if (!allowed(caller, object, action)) {
      record(caller, operation, object, "forbidden", -1);
      throw new ApiException(403, "forbidden", "'" + caller.name() + "' may not " + action.policyName() + " "
          + object + " (" + operation + ")");
    }
  }

  /** One audit line: who did what to which object, with what result, at which revision (-1: none). */
  public void record(Caller caller, String operation, String object, String result, long revision) {
    if (!audit.isInfoEnabled()) {
      return;
    }
    audit.info(AuditLog.line(System.currentTimeMillis(), caller.name(), operation, object, result, caller.remote(),
        revision));
  }

  /**
   * Counts a write against the caller's rate (429 with a Retry-After beyond it). Only callers that authenticated
   * have a rate of their own: on a node without security every caller is the same anonymous one, and a limit would
   * cap the whole node.
   */
  public void admitWrite(Caller caller, int writes) {
    if (writesPerSecond <= 0 || !limited(caller)) {
      return;
    }
    WriteBucket bucket = buckets.computeIfAbsent(caller.name(), k -> new WriteBucket(writesPerSecond, writeBurst));
    long waitMillis = bucket.take(writes);
    if (waitMillis > 0) {
      record(caller, "write", "-", "rate_limited", -1);
      throw new ApiException(429, "rate_limited", "'" + caller.name() + "' writes faster than "
          + writesPerSecond + "/s (security.limits.writesPerSecond); retry later").retryAfter((waitMillis + 999) / 1000);
    }
  }

  /** Counts a request through the proxy against the caller's rate (429 with a Retry-After beyond it), as writes. */
  public void admitProxied(Caller caller) {
    if (proxyRequestsPerSecond <= 0 || !limited(caller)) {
      return;
    }
    WriteBucket bucket = proxyBuckets.computeIfAbsent(caller.name(),
        k -> new WriteBucket(proxyRequestsPerSecond, proxyBurst));
    long waitMillis = bucket.take(1);
    if (waitMillis > 0) {
      record(caller, "route", "-", "rate_limited", -1);
      throw new ApiException(429, "rate_limited", "'" + caller.name() + "' sends more than " + proxyRequestsPerSecond
          + " requests/s through the proxy (security.limits.proxyRequestsPerSecond); retry later")
          .retryAfter((waitMillis + 999) / 1000);
    }
  }

  /**
   * Writes the write's audit line once it is answered: its revision, or the error the client got.
   *
   * @param revision the revision a successful result holds
   */
  public <T> Future<T> audited(Caller caller, String operation, String object, Future<T> write,
                               ToLongFunction<T> revision) {
    return write.onComplete(ar -> {
      if (ar.succeeded()) {
        record(caller, operation, object, "ok", revision.applyAsLong(ar.result()));
      } else {
        record(caller, operation, object, ApiException.of(ar.cause()).code(), -1);
      }
    });
  }

  /** Takes one of the caller's stream places (429 beyond security.limits.streamsPerCaller); give it back with {@link #closeStream}. */
  public void openStream(Caller caller) {
    if (!limited(caller)) {
      return;
    }
    AtomicInteger open = streams.computeIfAbsent(caller.name(), k -> new AtomicInteger());
    if (open.incrementAndGet() > streamsPerCaller) {
      open.decrementAndGet();
      throw new ApiException(429, "too_many_streams", "'" + caller.name() + "' holds " + streamsPerCaller
          + " streams on this node (security.limits.streamsPerCaller); close some first").retryAfter(1);
    }
  }

  public void closeStream(Caller caller) {
    if (!limited(caller)) {
      return;
    }
    AtomicInteger open = streams.get(caller.name());
    if (open != null) {
      open.decrementAndGet();
    }
  }

  private boolean limited(Caller caller) {
    return security.enabled() && caller != Caller.NODE;
  }

  /** A token bucket: {@code rate} a second, holding at most {@code burst}. */
  private static final class WriteBucket {
    private final double rate;
    private final double burst;
    private double available;
    private long refilledAt = System.nanoTime();

    WriteBucket(int rate, int burst) {
      this.rate = rate;
      this.burst = burst;
      this.available = burst;
    }

    /** Takes {@code n}, or answers how long to wait (ms) for them and takes nothing. */
    synchronized long take(int n) {
      long now = System.nanoTime();
      available = Math.min(burst, available + (now - refilledAt) / 1e9 * rate);
      refilledAt = now;
      if (available >= n) {
        available -= n;
        return 0;
      }
      return (long) Math.ceil((Math.min(n, burst) - available) / rate * 1000);
    }
  }
}
