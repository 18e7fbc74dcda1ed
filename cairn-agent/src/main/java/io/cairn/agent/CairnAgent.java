package io.cairn.agent;

import io.cairn.client.CairnClient;
import io.cairn.client.KeepAlive;
import io.cairn.grpc.v1.Instance;
import io.cairn.model.Durations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The agent beside a service: registers the local service, checks it locally, keeps it alive over a Heartbeat
 * stream while it is healthy (moving to another node when its node dies, registering again when the cluster lost
 * it), and on SIGTERM drains it, waits for requests under way to finish, deregisters it and exits 0. With
 * {@code --proxy-port} it is also the application's sidecar proxy ({@link Sidecar}); with that and no
 * {@code --name} it registers nothing and is only the proxy (an application that only calls services).
 *
 * <pre>
 * java -cp cairn.jar io.cairn.agent.CairnAgent --nodes=10.0.0.1:8080,10.0.0.2:8080 --name=web-api --port=3000 \
 *   --check=http:/health --ttl=10s --proxy-port=15001
 * </pre>
 *
 * <p>Options: {@code --nodes} (gRPC addresses of Cairn nodes), {@code --name}, {@code --port}, {@code --address}
 * (what clients connect to; default this host's address), {@code --id} (default name-address-port),
 * {@code --version}, {@code --zone}, {@code --region}, {@code --tags=a,b}, {@code --check} ({@code http:/path},
 * {@code tcp}, or {@code none}: what the agent probes locally before each ping), {@code --ttl} (default 10s: the
 * instance turns unhealthy when the agent stops pinging), {@code --drain} (default 5s: how long a stopping
 * instance stays registered but out of discovery). On a secured cluster: {@code --token} (or the environment
 * variable {@code CAIRN_TOKEN}, which other users of the machine cannot read from the process list), {@code --ca}
 * (the PEM CA that signed the nodes' certificates: speak TLS), {@code --cert} and {@code --key} (this agent's
 * certificate under mutual TLS). The sidecar: {@code --proxy-port}, {@code --proxy-grpc-port} (HTTP/2, for the
 * application's gRPC calls) and {@code --proxy-address} (default 127.0.0.1: it serves this machine's application,
 * not the network); instances that speak TLS are trusted by {@code --ca}.
 */
public final class CairnAgent {
  private static final Logger log = LoggerFactory.getLogger(CairnAgent.class);

  private static final long PROBE_TIMEOUT_MILLIS = 2_000;
  private final Map<String, String> options;
  private final Vertx vertx = Vertx.vertx();
  private final CairnClient client;
  /** The service this agent registers, or null for a sidecar that only proxies. */
  private final Instance instance;
  private final Sidecar sidecar;
  private final Duration ttl;
  private final Duration drain;
  private final String check;
  private final HttpClient http;
  private final NetClient tcp;
  private volatile boolean healthy;
  /** Counted down to stop: a signal, or a sidecar that could not start. */
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile int exitStatus;
  private KeepAlive link;

  CairnAgent(Map<String, String> options) {
    this.options = options;
    this.ttl = Duration.ofMillis(duration("ttl", "10s"));
    this.drain = Duration.ofMillis(duration("drain", "5s"));
    this.check = options.getOrDefault("check", "none");
    CairnClient.Builder builder = CairnClient.builder().vertx(vertx).nodes(required("nodes").split(","))
        .retryInterval(Duration.ofMillis(500)).continuousRetry()
        .token(options.getOrDefault("token", System.getenv("CAIRN_TOKEN")));
    if (options.containsKey("ca")) {
      builder.tls(options.get("ca"));
    }
    if (options.containsKey("cert") != options.containsKey("key")) {
      throw new IllegalArgumentException("--cert and --key go together");
    }
    if (options.containsKey("cert")) {
      builder.clientCertificate(options.get("cert"), options.get("key"));
    }
    this.client = builder.build();
    boolean proxies = options.containsKey("proxy-port");
    this.instance = proxies && !options.containsKey("name") && !options.containsKey("port") ? null : instance();
    // The sidecar's callers are in the agent's zone: zone affinity keeps them there.
    this.sidecar = proxies ? new Sidecar(vertx, client, new Sidecar.Where(options.getOrDefault("proxy-address",
        "127.0.0.1"), port("proxy-port"), options.containsKey("proxy-grpc-port") ? port("proxy-grpc-port") : 0,
        options.get("zone"), options.get("region")), options.containsKey("ca") ? this::upstreamTls : null) : null;
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) PROBE_TIMEOUT_MILLIS));
    this.tcp = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) PROBE_TIMEOUT_MILLIS));
  }

  public static void main(String[] args) throws Exception {
    String usage = "usage: CairnAgent --nodes h:p,h:p --name NAME --port PORT [--check http:/health|tcp|none]"
        + " [--ttl 10s] [--drain 5s] [--address A] [--id ID] [--version V] [--zone Z] [--region R] [--tags a,b]"
        + " [--token SECRET (or env CAIRN_TOKEN)] [--ca ca.pem] [--cert client.pem --key client-key.pem]"
        + " [--proxy-port P [--proxy-grpc-port G] [--proxy-address 127.0.0.1]] (--name and --port may be left out"
        + " with --proxy-port)"
        + " (each also as --key=value)";
    Map<String, String> options = parse(args);
    if (options == null) {
      System.err.println(usage);
      System.exit(2);
    }
    CairnAgent agent;
    try {
      agent = new CairnAgent(options);
    } catch (IllegalArgumentException e) {
      System.err.println("cairn agent: " + e.getMessage() + "\n" + usage);
      System.exit(2);
      return;
    }
    // SIGTERM is how orchestrators and ./run.sh stop ask: drain first, then exit 0 (a shutdown hook cannot choose
    // the exit status).
    Signal.handle(new Signal("TERM"), signal -> agent.stopping.countDown());
    Signal.handle(new Signal("INT"), signal -> agent.stopping.countDown());
    agent.start();
    agent.stopping.await();
    agent.stop();
    System.exit(agent.exitStatus);
  }

  /** {@code --key value} or {@code --key=value}; null when an argument is neither. */
  static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        return null;
      }
      int eq = arg.indexOf('=');
      if (eq > 0) {
        options.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (i + 1 < args.length) {
        options.put(arg.substring(2), args[++i]);
      } else {
        return null;
      }
    }
    return options;
  }

  void start() {
    if (sidecar != null) {
      sidecar.start().onFailure(e -> {
        // The application counts on its proxy: an agent that cannot give it one says so and stops (from main's
        // thread: exiting here would hold the event loop while the JVM shuts down).
        log.error("Sidecar proxy not started: {}", e.getMessage());
        exitStatus = 1;
        stopping.countDown();
      });
    }
    if (instance == null) {
      log.info("Agent started as a sidecar only (no service registered); Cairn nodes {}", options.get("nodes"));
      return;
    }
    probe();
    vertx.setPeriodic(Math.max(200, ttl.toMillis() / 3), id -> probe());
    register();
    link = client.keepAlive(List.of(instance.getId()), Duration.ofMillis(Math.max(200, ttl.toMillis() / 3)),
        () -> healthy, unknown -> {
          log.warn("The cluster does not know {} (a restart without its data?): registering it again", unknown);
          register();
        });
    log.info("Agent for {} ({}:{}) started; Cairn nodes {}", instance.getId(), instance.getAddress(),
        instance.getPort(), options.get("nodes"));
  }

  /** Registers until it works: the cluster may be down or starting. */
  private void register() {
    client.register(instance).onComplete(ar -> {
      if (ar.succeeded()) {
        log.info("Registered {} through {}", instance.getId(), client.currentNode());
      } else {
        log.warn("Registering {} failed ({}); trying again", instance.getId(), ar.cause().getMessage());
        vertx.setTimer(1000, id -> register());
      }
    });
  }

  /**
   * Drain, wait for what is under way, deregister; the sidecar serves the application until then, since finishing
   * its requests may take calls to other services.
   */
  void stop() {
    try {
      if (instance != null) {
        deregister();
      }
      if (sidecar != null) {
        sidecar.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.warn("The sidecar proxy did not stop cleanly: {}", e.toString());
    } finally {
      client.close();
      vertx.close();
    }
  }

  private void deregister() {
    log.info("Stopping: draining {} for {} ms", instance.getId(), drain.toMillis());
    try {
      link.shutdown().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      Thread.sleep(drain.toMillis());
      client.deregister(instance.getId()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      log.info("Deregistered {}", instance.getId());
    } catch (Exception e) {
      log.warn("Could not drain and deregister {} cleanly: {}", instance.getId(), e.toString());
    } finally {
      link.close();
    }
  }

  /** Instances that speak TLS, for the sidecar: trusted by the agent's CA, and shown its certificate if it has one. */
  private ClientOptionsBase upstreamTls(ClientOptionsBase upstream) {
    upstream.setTrustOptions(new PemTrustOptions().addCertPath(options.get("ca")));
    if (options.containsKey("cert")) {
      upstream.setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.get("cert"))
          .setKeyPath(options.get("key")));
    }
    return upstream;
  }

  /** The local check: what decides whether the agent keeps pinging. */
  private void probe() {
    Future<Boolean> result;
    if (check.startsWith("http:")) {
      String path = check.substring("http:".length());
      // A service that accepts connections but never answers is failing, not passing: the request times out.
      result = http.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(instance.getPort())
              .setHost("127.0.0.1").setURI(path.isEmpty() ? "/" : path).setIdleTimeout(PROBE_TIMEOUT_MILLIS))
          .compose(req -> req.send())
          .map(resp -> resp.statusCode() >= 200 && resp.statusCode() < 300);
    } else if (check.equals("tcp")) {
      result = tcp.connect(instance.getPort(), "127.0.0.1").map(socket -> {
        socket.close();
        return true;
      });
    } else {
      result = Future.succeededFuture(true);
    }
    result.onComplete(ar -> {
      boolean now = ar.succeeded() && ar.result();
      if (now != healthy) {
        log.info("Local check of {} ({}): {}", instance.getId(), check, now ? "passing" : "failing");
      }
      healthy = now;
    });
  }

  private Instance instance() {
    String address = options.getOrDefault("address", localAddress());
    int port = port("port");
    String name = required("name");
    Instance.Builder b = Instance.newBuilder()
        .setId(options.getOrDefault("id", name + "-" + address.replace(':', '-') + "-" + port))
        .setName(name).setAddress(address).setPort(port)
        .setTtl(options.getOrDefault("ttl", "10s"));
    if (options.containsKey("version")) {
      b.setVersion(options.get("version"));
    }
    if (options.containsKey("zone")) {
      b.setZone(options.get("zone"));
    }
    if (options.containsKey("region")) {
      b.setRegion(options.get("region"));
    }
    if (options.containsKey("tags")) {
      b.addAllTags(Arrays.asList(options.get("tags").split(",")));
    }
    return b.build();
  }

  private int port(String key) {
    try {
      int port = Integer.parseInt(required(key));
      if (port < 1 || port > 65_535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a port number");
    }
  }

  private long duration(String key, String fallback) {
    try {
      return Durations.parse(options.getOrDefault(key, fallback));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--" + key + " must be a duration such as 500ms, 10s or 1m");
    }
  }

  private String required(String key) {
    String value = options.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return value;
  }

  private static String localAddress() {
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (IOException e) {
      return "127.0.0.1";
    }
  }
}
