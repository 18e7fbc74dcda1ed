package io.cairn.client;

import io.cairn.wire.GrpcTrailers;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.DiscoverResponse;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.InstanceRef;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.ListNodesResponse;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Route;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Cairn client for any JVM program, Vert.x or not: the registry over gRPC with failover between nodes, and a
 * local cache of the services it watches, from which {@link #pick} chooses an instance without a network call.
 *
 * <pre>{@code
 * try (CairnClient cairn = CairnClient.builder().nodes("10.0.0.1:8080", "10.0.0.2:8080").build()) {
 *   cairn.register(Instance.newBuilder().setId("web-1").setName("web").setAddress("10.0.0.7").setPort(3000).build());
 *   cairn.watch("checkout").toCompletionStage().toCompletableFuture().join();
 *   Instance target = cairn.pick("checkout").orElseThrow();
 * }
 * }</pre>
 *
 * <p>Every call goes to one node. When that node cannot be reached, or answers UNAVAILABLE (shutting down, catching
 * up, cut off from its majority), the call moves to the next node after {@code retryInterval}, up to
 * {@code maxRetries} times ({@link Builder#continuousRetry} for ever). The list of nodes starts from the builder's
 * and grows with what {@code ListNodes} reports. A watch that breaks resumes on another node after the last change
 * it applied, so its cache misses nothing. Futures complete on the client's event loop.
 */
public final class CairnClient implements AutoCloseable {
  private static final long NODE_REFRESH_MILLIS = 5_000;
  private static final int MAX_MESSAGE_BYTES = 64 << 20;
  private static final long WATCH_SILENCE_MILLIS = 30_000;

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final GrpcClient grpc;
  private final List<SocketAddress> nodes;
  private volatile int current;
  private final long retryMillis;
  private final int maxRetries;
  private final long timeoutMillis;
  private final PickStrategy strategy;
  private final String zone;
  private final Map<String, ServiceCache> caches = new ConcurrentHashMap<>();
  private final Map<String, List<Promise<List<Instance>>>> waitingForLoad = new ConcurrentHashMap<>();
  private final Map<String, GrpcClientRequest<WatchRequest, WatchEvent>> watchCalls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> leases = new ConcurrentHashMap<>();
  private final long refreshTimer;
  private volatile boolean closed;
  /** The authorization metadata every call carries, or null on a cluster without tokens. */
  private final String authorization;

  private CairnClient(Builder b) {
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx() : b.vertx;
    this.context = vertx.getOrCreateContext();
    // A Watch snapshot is one message carrying a whole service: far above gRPC's usual 256 KiB for large ones.
    this.grpc = GrpcClient.client(vertx, new io.vertx.grpc.client.GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES),
        b.httpOptions());
    this.authorization = b.token == null ? null : "Bearer " + b.token;
    this.nodes = new CopyOnWriteArrayList<>(b.nodes);
    this.retryMillis = b.retryInterval.toMillis();
    this.maxRetries = b.maxRetries;
    this.timeoutMillis = b.requestTimeout.toMillis();
    this.strategy = b.strategy;
    this.zone = b.zone;
    this.refreshTimer = vertx.setPeriodic(0, NODE_REFRESH_MILLIS, id -> context.runOnContext(v -> refreshNodes()));
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- the registry

  /** Registers or replaces (with an id) or creates (without one) an instance; answers it as Cairn stored it. */
  public Future<Instance> register(Instance instance) {
    // An id made here, not by the node: a retry after a timeout replaces what the first attempt may have
    // registered instead of adding a second instance.
    Instance withId = instance.getId().isEmpty()
        ? instance.toBuilder().setId(instance.getName() + "-" + java.util.HexFormat.of().toHexDigits(
            ThreadLocalRandom.current().nextLong()).substring(4)).build()
        : instance;
    return call(RegistryGrpcClient.Register, RegisterRequest.newBuilder().setInstance(withId).build(), true)
        .map(r -> r.getInstance());
  }

  /**
   * Registers only if the instance has not changed after revision {@code cas} (0: only if it does not exist); a
   * call whose outcome is unknown (a timeout) is not retried, since a retry could see its own first attempt.
   */
  public Future<Instance> register(Instance instance, long cas) {
    return call(RegistryGrpcClient.Register, RegisterRequest.newBuilder().setInstance(instance).setCas(cas).build(),
        false).map(r -> r.getInstance());
  }

  /** Not retried after a timeout (a retry of a deregistration that went through answers NOT_FOUND). */
  public Future<Instance> deregister(String id) {
    return call(RegistryGrpcClient.Deregister, ref(id), false);
  }

  public Future<Instance> get(String id) {
    return call(RegistryGrpcClient.Get, ref(id));
  }

  public Future<Instance> enable(String id) {
    return call(RegistryGrpcClient.Enable, ref(id));
  }

  public Future<Instance> disable(String id) {
    return call(RegistryGrpcClient.Disable, ref(id));
  }

  public Future<Instance> drain(String id) {
    return call(RegistryGrpcClient.Drain, ref(id));
  }

  /** A discovery on the node (not the cache): every criterion of REST's discovery. */
  public Future<DiscoverResponse> discover(DiscoverRequest query) {
    return call(RegistryGrpcClient.Discover, query);
  }

  public Future<ListNodesResponse> listNodes() {
    return call(RegistryGrpcClient.ListNodes, ListNodesRequest.getDefaultInstance());
  }

  /** The node calls go to now, as host:port. */
  public String currentNode() {
    SocketAddress a = node();
    return a.host() + ":" + a.port();
  }

  // ---------------------------------------------------------------- the cache

  /**
   * Keeps a local copy of service {@code name} (its instances and the routes to it), fed by a Watch stream, from now
   * until {@link #close}. Completes with its instances once the first snapshot arrived (at once when already
   * watched). {@link #EVERYTHING} watches the whole registry: every service's instances and every route.
   */
  public Future<List<Instance>> watch(String name) {
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

  /** The name that watches every service and route at once (one stream, one cache). */
  public static final String EVERYTHING = ServiceCache.ALL;

  /**
   * The routes written through the log to the watched service (all of them for {@link #EVERYTHING}), by id; the
   * same list until one of them changes.
   */
  public List<Route> routes(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? List.of() : cache.routes();
  }

  /** The watched service's instances as the cache has them now (all of them, passing or not). */
  public List<Instance> instances(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? List.of() : cache.all();
  }

  /** The revision the cache of {@code name} reflects (-1 before its first snapshot). */
  public long revision(String name) {
    ServiceCache cache = caches.get(name);
    return cache == null ? -1 : cache.revision();
  }

  /** Hears of the watched service's changes, and of instances this program used going away. */
  public void addListener(String name, InstanceListener listener) {
    cache(name).addListener(listener);
  }

  /**
   * A passing instance of a watched service, chosen by the client's strategy, from the cache (no network call);
   * empty when there is none, or before {@link #watch}'s first snapshot.
   */
  public Optional<Instance> pick(String name) {
    ServiceCache cache = caches.get(name);
    if (cache == null) {
      watch(name);
      return Optional.empty();
    }
    List<Instance> candidates = cache.passing();
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    Instance chosen = choose(name, candidates);
    cache.markUsed(chosen.getId());
    return Optional.of(chosen);
  }

  /** A picked instance held while a request to it is under way: what {@link PickStrategy#LEAST_REQUESTS} counts. */
  public Optional<Lease> acquire(String name) {
    return pick(name).map(Lease::new);
  }

  /** One request's hold on an instance; close it when the request is done. */
  public final class Lease implements AutoCloseable {
    private final Instance instance;
    private boolean released;

    private Lease(Instance instance) {
      this.instance = instance;
      leases.computeIfAbsent(instance.getId(), k -> new AtomicInteger()).incrementAndGet();
    }

    public Instance instance() {
      return instance;
    }

    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        leases.get(instance.getId()).decrementAndGet();
      }
    }
  }

  private Instance choose(String name, List<Instance> candidates) {
    int turn = turns.computeIfAbsent(name, k -> new AtomicInteger()).getAndIncrement();
    return Picker.choose(strategy, candidates, turn, id -> {
      AtomicInteger open = leases.get(id);
      return open == null ? 0 : open.get();
    }, zone);
  }

  private ServiceCache cache(String name) {
    watch(name);
    return caches.get(name);
  }

  /**
   * Opens (or reopens, on the next node) the Watch of one cached service, from where its cache got. {@code failures}
   * counts the breaks since the stream last delivered something.
   */
  private void openWatch(ServiceCache cache, int failures) {
    if (closed || caches.get(cache.name) != cache) {
      return;
    }
    SocketAddress at = node();
    int[] breaks = {failures};
    boolean[] over = {false};
    java.util.function.BiConsumer<GrpcStatus, MultiMap> ended = (status, trailers) -> {
      if (over[0] || closed) {
        return;
      }
      over[0] = true;
      watchCalls.remove(cache.name);
      if (status != null && !isNodeProblem(status)) {
        giveUp(cache, new CairnException(status, trailers == null ? null : trailers.get(GrpcTrailers.ERROR),
            "the watch of " + cache.name + " was refused (" + status + ")", null));
        return;
      }
      if (maxRetries >= 0 && breaks[0] >= maxRetries) {
        giveUp(cache, unavailable(breaks[0] + 1));
        return;
      }
      moveOn(at, trailers);
      vertx.setTimer(retryMillis, id -> context.runOnContext(v -> openWatch(cache, breaks[0] + 1)));
    };
    request(at, RegistryGrpcClient.Watch).compose(request -> {
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
  private void dropWatchCall(ServiceCache cache, java.util.function.BiConsumer<GrpcStatus, MultiMap> ended) {
    GrpcClientRequest<WatchRequest, WatchEvent> call = watchCalls.get(cache.name);
    ended.accept(null, null);
    if (call != null) {
      try {
        call.cancel();
      } catch (RuntimeException alreadyOver) {
        // it ended meanwhile
      }
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

  // ---------------------------------------------------------------- an agent's link

  /**
   * Keeps instances alive over a Heartbeat stream: a ping every {@code every} while {@code healthy} says so (a
   * ttl instance not pinged turns unhealthy after its ttl), moving to another node when the stream breaks.
   * {@code onUnknown} hears of ids the cluster no longer has (after a cold restart without their data): register
   * them again.
   */
  public KeepAlive keepAlive(List<String> ids, Duration every, java.util.function.BooleanSupplier healthy,
                             java.util.function.Consumer<List<String>> onUnknown) {
    KeepAlive link = new KeepAlive(this, ids, every.toMillis(), healthy, onUnknown);
    context.runOnContext(v -> link.connect());
    return link;
  }

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return context;
  }

  /** A call to the node at {@code at}, carrying this client's token. */
  <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(SocketAddress at, ServiceMethod<Resp, Req> method) {
    return grpc.request(at, method).map(request -> {
      if (authorization != null) {
        request.headers().set("authorization", authorization);
      }
      return request;
    });
  }

  boolean closed() {
    return closed;
  }

  long retryMillis() {
    return retryMillis;
  }

  // ---------------------------------------------------------------- calls and failover

  private static InstanceRef ref(String id) {
    return InstanceRef.newBuilder().setId(id).build();
  }

  private <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request) {
    return call(method, request, true);
  }

  /**
   * A call with failover. {@code repeatable}: the call may be sent again after an outcome that is unknown (a
   * timeout, a broken stream after sending); otherwise only when the node refused it (UNAVAILABLE) or was never
   * reached.
   */
  private <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request, boolean repeatable) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("this Cairn client is closed"));
    }
    Promise<Resp> result = Promise.promise();
    context.runOnContext(v -> attempt(method, request, repeatable, 0, result));
    return result.future();
  }

  private <Req, Resp> void attempt(ServiceMethod<Resp, Req> method, Req request, boolean repeatable, int failures,
                                   Promise<Resp> result) {
    SocketAddress at = node();
    request(at, method)
        .compose(req -> req.timeout(timeoutMillis, TimeUnit.MILLISECONDS).send(request))
        .onComplete(sent -> {
          if (sent.failed()) {
            // Never answered: refused connections are safe to send again; anything else only if repeatable.
            if (repeatable || sent.cause() instanceof java.net.ConnectException) {
              retry(method, request, repeatable, failures, result, at, null);
            } else {
              result.fail(new CairnException(GrpcStatus.UNAVAILABLE, "unavailable", "the call to " + at
                  + " failed before an answer and may or may not have been applied: " + sent.cause(), null));
            }
            return;
          }
          GrpcClientResponse<Req, Resp> response = sent.result();
          response.last().onComplete(answer -> {
            if (answer.succeeded()) {
              result.complete(answer.result());
              return;
            }
            GrpcStatus status = response.status();
            boolean refused = status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.RESOURCE_EXHAUSTED;
            if (refused || (repeatable && (status == null || isNodeProblem(status)))) {
              retry(method, request, repeatable, failures, result, at, response.trailers());
            } else {
              MultiMap trailers = response.trailers();
              result.fail(new CairnException(status, trailers.get(GrpcTrailers.ERROR), response.statusMessage(),
                  trailers.get(GrpcTrailers.FIELD)));
            }
          });
        });
  }

  private <Req, Resp> void retry(ServiceMethod<Resp, Req> method, Req request, boolean repeatable, int failures,
                                 Promise<Resp> result, SocketAddress failed, MultiMap trailers) {
    if (closed) {
      result.tryFail(new IllegalStateException("this Cairn client is closed"));
      return;
    }
    if (maxRetries >= 0 && failures >= maxRetries) {
      result.fail(unavailable(failures + 1));
      return;
    }
    moveOn(failed, trailers);
    vertx.setTimer(retryMillis, id -> context.runOnContext(v -> attempt(method, request, repeatable, failures + 1, result)));
  }

  /** Leaves a node that failed: for the one it named (cairn-retry-at), else the next in the list. */
  void moveOn(SocketAddress failed, MultiMap trailers) {
    String hint = trailers == null ? null : trailers.get(GrpcTrailers.RETRY_AT);
    if (hint != null && !hint.isBlank()) {
      SocketAddress named = parse(hint);
      int index = nodes.indexOf(named);
      if (index < 0) {
        nodes.add(named);
        index = nodes.size() - 1;
      }
      current = index;
      return;
    }
    if (node().equals(failed)) {
      current = (current + 1) % nodes.size();
    }
  }

  SocketAddress node() {
    return nodes.get(Math.floorMod(current, nodes.size()));
  }

  private CairnException unavailable(int attempts) {
    return new CairnException(GrpcStatus.UNAVAILABLE, "unavailable", "no Cairn node answered after " + attempts
        + " attempts (nodes tried: " + nodes + ")", null);
  }

  /** Statuses that say "this node, not your request": try another. */
  private static boolean isNodeProblem(GrpcStatus status) {
    return status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.RESOURCE_EXHAUSTED
        || status == GrpcStatus.DEADLINE_EXCEEDED || status == GrpcStatus.CANCELLED || status == GrpcStatus.UNKNOWN
        || status == GrpcStatus.INTERNAL;
  }

  /** Learns the cluster's members, so that failover can reach nodes the builder did not name. */
  private void refreshNodes() {
    if (closed) {
      return;
    }
    SocketAddress at = node();
    request(at, RegistryGrpcClient.ListNodes)
        .compose(req -> req.timeout(timeoutMillis, TimeUnit.MILLISECONDS).send(ListNodesRequest.getDefaultInstance()))
        .compose(GrpcClientResponse::last)
        .onSuccess(answer -> answer.getNodesList().stream()
            .filter(n -> n.getStatus().equals("alive") && !n.getGrpcAddress().isEmpty())
            .map(n -> parse(n.getGrpcAddress()))
            .filter(a -> !nodes.contains(a))
            .forEach(nodes::add));
  }

  private static SocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return SocketAddress.inetSocketAddress(Integer.parseInt(hostPort.substring(colon + 1)), host);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.cancelTimer(refreshTimer);
    watchCalls.values().forEach(request -> {
      try {
        request.cancel();
      } catch (RuntimeException alreadyOver) {
        // the stream ended meanwhile
      }
    });
    Future<Void> done = grpc.close().compose(v -> ownsVertx ? vertx.close() : Future.succeededFuture());
    // On an event loop (a verticle's stop, a callback of this client) waiting would block what must do the closing.
    if (Vertx.currentContext() == null) {
      done.toCompletionStage().toCompletableFuture().join();
    }
  }

  /** What a client needs: where the cluster is, how hard to try, and how to pick. */
  public static final class Builder {
    private final List<SocketAddress> nodes = new ArrayList<>();
    private Vertx vertx;
    private Duration retryInterval = Duration.ofMillis(500);
    private int maxRetries = 10;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private PickStrategy strategy = PickStrategy.ROUND_ROBIN;
    private String zone = "";
    private String token;
    private String caFile;
    private String certFile;
    private String keyFile;

    /** Nodes' gRPC addresses, host:port (the HTTP port unless the nodes set grpc.port). */
    public Builder nodes(String... hostPorts) {
      for (String hp : hostPorts) {
        nodes.add(parse(hp.trim()));
      }
      return this;
    }

    public Builder nodes(List<String> hostPorts) {
      return nodes(hostPorts.toArray(String[]::new));
    }

    /** The Vert.x instance to run on (a Vert.x program's own); without one the client makes and closes its own. */
    public Builder vertx(Vertx vertx) {
      this.vertx = vertx;
      return this;
    }

    /** The pause before a call or a watch tries the next node. */
    public Builder retryInterval(Duration interval) {
      this.retryInterval = interval;
      return this;
    }

    /** How many times a call moves to another node before it fails UNAVAILABLE. */
    public Builder maxRetries(int retries) {
      this.maxRetries = Math.max(0, retries);
      return this;
    }

    /** Never give up: calls and watches keep moving between nodes until one answers. */
    public Builder continuousRetry() {
      this.maxRetries = -1;
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    public Builder strategy(PickStrategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** This program's zone, for {@link PickStrategy#ZONE_AFFINITY}. */
    public Builder zone(String zone) {
      this.zone = zone == null ? "" : zone;
      return this;
    }

    /** The secret of a Cairn token (security.tokensFile), sent with every call. */
    public Builder token(String token) {
      this.token = token == null || token.isBlank() ? null : token.trim();
      return this;
    }

    /** Speak TLS to the nodes, trusting the CA certificates of this PEM file (nodes whose certificate it signed). */
    public Builder tls(String caPemFile) {
      this.caFile = caPemFile;
      return this;
    }

    /** Under mutual TLS: this client's PEM certificate and key (its subject CN is its name in the ACL policy). */
    public Builder clientCertificate(String certPemFile, String keyPemFile) {
      this.certFile = certPemFile;
      this.keyFile = keyPemFile;
      return this;
    }

    io.vertx.core.http.HttpClientOptions httpOptions() {
      io.vertx.core.http.HttpClientOptions options = new io.vertx.core.http.HttpClientOptions()
          .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
      if (caFile != null) {
        options.setSsl(true).setUseAlpn(true)
            .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(caFile));
        if (certFile != null) {
          options.setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(certFile).setKeyPath(keyFile));
        }
      }
      return options;
    }

    public CairnClient build() {
      if (certFile != null && caFile == null) {
        throw new IllegalArgumentException("a client certificate needs TLS: name the nodes' CA with tls(caFile)");
      }
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException("name at least one Cairn node (host:port)");
      }
      return new CairnClient(this);
    }
  }
}
