package io.cairn.client;

import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.DiscoverResponse;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.InstanceRef;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.ListNodesResponse;
import io.cairn.grpc.v1.ListRoutesRequest;
import io.cairn.grpc.v1.ListRoutesResponse;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.model.Route;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final NodeCalls calls;
  private final Watches watches;
  private final Picks picks;

  private CairnClient(Builder b) {
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx() : b.vertx;
    this.context = vertx.getOrCreateContext();
    this.calls = new NodeCalls(vertx, context, b.httpOptions(), b.token, b.nodes, b.retryInterval, b.maxRetries,
        b.requestTimeout);
    this.watches = new Watches(calls);
    this.picks = new Picks(watches, b.strategy, b.zone);
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
        ? instance.toBuilder().setId(instance.getName() + "-" + HexFormat.of().toHexDigits(
            ThreadLocalRandom.current().nextLong()).substring(4)).build()
        : instance;
    return calls.call(RegistryGrpcClient.Register, RegisterRequest.newBuilder().setInstance(withId).build(), true)
        .map(r -> r.getInstance());
  }

  /**
   * Registers only if the instance has not changed after revision {@code cas} (0: only if it does not exist); a
   * call whose outcome is unknown (a timeout) is not retried, since a retry could see its own first attempt.
   */
  public Future<Instance> register(Instance instance, long cas) {
    return calls.call(RegistryGrpcClient.Register,
        RegisterRequest.newBuilder().setInstance(instance).setCas(cas).build(), false).map(r -> r.getInstance());
  }

  /** Not retried after a timeout (a retry of a deregistration that went through answers NOT_FOUND). */
  public Future<Instance> deregister(String id) {
    return calls.call(RegistryGrpcClient.Deregister, ref(id), false);
  }

  public Future<Instance> get(String id) {
    return calls.call(RegistryGrpcClient.Get, ref(id));
  }

  public Future<Instance> enable(String id) {
    return calls.call(RegistryGrpcClient.Enable, ref(id));
  }

  public Future<Instance> disable(String id) {
    return calls.call(RegistryGrpcClient.Disable, ref(id));
  }

  public Future<Instance> drain(String id) {
    return calls.call(RegistryGrpcClient.Drain, ref(id));
  }

  /** A discovery on the node (not the cache): every criterion of REST's discovery. */
  public Future<DiscoverResponse> discover(DiscoverRequest query) {
    return calls.call(RegistryGrpcClient.Discover, query);
  }

  public Future<ListNodesResponse> listNodes() {
    return calls.call(RegistryGrpcClient.ListNodes, ListNodesRequest.getDefaultInstance());
  }

  /** The routes in force on the node asked: those written through the API and those of its own configuration. */
  public Future<ListRoutesResponse> listRoutes() {
    return calls.call(RegistryGrpcClient.ListRoutes, ListRoutesRequest.getDefaultInstance());
  }

  /** The node calls go to now, as host:port. */
  public String currentNode() {
    SocketAddress a = calls.node();
    return a.host() + ":" + a.port();
  }

  // ---------------------------------------------------------------- the cache

  /**
   * Keeps a local copy of service {@code name} (its instances and the routes to it), fed by a Watch stream, from now
   * until {@link #close}. Completes with its instances once the first snapshot arrived (at once when already
   * watched). {@link #EVERYTHING} watches the whole registry: every service's instances and every route.
   */
  public Future<List<Instance>> watch(String name) {
    return watches.watch(name);
  }

  /** The name that watches every service and route at once (one stream, one cache). */
  public static final String EVERYTHING = ServiceCache.ALL;

  /**
   * The routes written through the log to the watched service (all of them for {@link #EVERYTHING}), by id; the
   * same list until one of them changes.
   */
  public List<Route> routes(String name) {
    return watches.routes(name);
  }

  /** The watched service's instances as the cache has them now (all of them, passing or not). */
  public List<Instance> instances(String name) {
    return watches.instances(name);
  }

  /** The revision the cache of {@code name} reflects (-1 before its first snapshot). */
  public long revision(String name) {
    return watches.revision(name);
  }

  /** Hears of the watched service's changes, and of instances this program used going away. */
  public void addListener(String name, InstanceListener listener) {
    watches.addListener(name, listener);
  }

  /**
   * A passing instance of a watched service, chosen by the client's strategy, from the cache (no network call);
   * empty when there is none, or before {@link #watch}'s first snapshot.
   */
  public Optional<Instance> pick(String name) {
    return picks.pick(name);
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
      picks.hold(instance.getId());
    }

    public Instance instance() {
      return instance;
    }

    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        picks.release(instance.getId());
      }
    }
  }

  // ---------------------------------------------------------------- an agent's link

  /**
   * Keeps instances alive over a Heartbeat stream: a ping every {@code every} while {@code healthy} says so (a
   * ttl instance not pinged turns unhealthy after its ttl), moving to another node when the stream breaks.
   * {@code onUnknown} hears of ids the cluster no longer has (after a cold restart without their data): register
   * them again.
   */
  public KeepAlive keepAlive(List<String> ids, Duration every, BooleanSupplier healthy,
                             Consumer<List<String>> onUnknown) {
    KeepAlive link = new KeepAlive(calls, this::drain, ids, every.toMillis(), healthy, onUnknown);
    context.runOnContext(v -> link.connect());
    return link;
  }

  private static InstanceRef ref(String id) {
    return InstanceRef.newBuilder().setId(id).build();
  }

  @Override
  public void close() {
    if (calls.closed()) {
      return;
    }
    calls.stop();
    watches.cancelAll();
    Future<Void> done = calls.disconnect().compose(v -> ownsVertx ? vertx.close() : Future.succeededFuture());
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
        nodes.add(NodeCalls.parse(hp.trim()));
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

    HttpClientOptions httpOptions() {
      HttpClientOptions options = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false);
      if (caFile != null) {
        options.setSsl(true).setUseAlpn(true)
            .setTrustOptions(new PemTrustOptions().addCertPath(caFile));
        if (certFile != null) {
          options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(certFile).setKeyPath(keyFile));
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
