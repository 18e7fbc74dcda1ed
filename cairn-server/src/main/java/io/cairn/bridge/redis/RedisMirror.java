package io.cairn.bridge.redis;

import io.cairn.bridge.Change;
import io.cairn.bridge.FencedOut;
import io.cairn.bridge.MirrorTarget;
import io.cairn.config.BridgeSettings;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The Redis bridge's target: one session's connection to Redis, through Vert.x's own Redis client (the bridge's
 * event loop, no threads of its own). Every event is published on the bridge's channel as the SSE stream sends it,
 * and each service's instances are kept in a hash that a program speaking only Redis reads with {@code HGETALL}
 * (layout in {@link RedisScripts}). Writes run as Lua scripts that first check the fence, this session's Raft term in
 * {@code {keyPrefix}:term}.
 *
 * <p>Redis keeps no position in Cairn's stream ({@link #open} answers null), so every session starts with a
 * reconcile: after a restart of Redis (which may have lost its data) the hashes are whole again. A session lives as
 * long as its connection: a lost one (the server closed it, or it stopped answering PINGs) is reported at once
 * through {@link #whenBroken}, and a call that gets no answer within {@link #CALL_TIMEOUT_MILLIS} fails, so a dead
 * server never holds the bridge up.
 */
public final class RedisMirror implements MirrorTarget {
  /** Changes per script call: one call stays short (Redis runs nothing else meanwhile), a burst takes few calls. */
  static final int CHANGES_PER_SCRIPT = 500;
  /** Hash ops per script call of a reconcile. */
  static final int OPS_PER_SCRIPT = 1_000;
  /** Names whose hashes a reconcile reads at once (pipelined), then writes what differs, before the next. */
  static final int NAMES_PER_READ = 200;
  static final long CALL_TIMEOUT_MILLIS = 10_000;
  static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  /** How often an idle connection is asked whether Redis still answers (a network that drops packets closes none). */
  static final long PING_MILLIS = 5_000;

  private final Vertx vertx;
  private final BridgeSettings.Redis settings;
  private final RedisScripts.Keys keys;
  private final RedisScripts scripts;
  private Consumer<Throwable> lost = e -> { };
  private Redis client;
  private RedisConnection connection;
  private long term;
  private HashPlan plan;
  private String writeSha;
  private long pinger = -1;
  private boolean closed;

  public RedisMirror(Vertx vertx, BridgeSettings.Redis settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.keys = new RedisScripts.Keys(settings.keyPrefix());
    this.scripts = new RedisScripts(keys, settings.channel());
  }

  /** The client's options: one connection, bounded connect time, TLS with the configured CA, the password. */
  static RedisOptions options(BridgeSettings.Redis s) {
    NetClientOptions net = new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MILLIS).setTcpKeepAlive(true);
    if (s.tls()) {
      net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
      if (!s.caFile().isEmpty()) {
        net.setTrustOptions(new PemTrustOptions().addCertPath(s.caFile()));
      }
    }
    RedisOptions options = new RedisOptions().setConnectionString(s.endpoint().toString()).setNetClientOptions(net)
        .setMaxPoolSize(1);
    if (!s.password().isEmpty()) {
      options.setPassword(s.password());
    }
    return options;
  }

  @Override
  public void whenBroken(Consumer<Throwable> lost) {
    this.lost = lost;
  }

  @Override
  public Future<String> open(long term) {
    this.term = term;
    this.plan = new HashPlan(term);
    client = Redis.createClient(vertx, options(settings));
    return client.connect().timeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(failure("cannot connect", e)))
        .compose(c -> {
          connection = c;
          c.exceptionHandler(this::lost);
          c.endHandler(v -> lost(new IllegalStateException("Redis at " + settings.endpoint() + " closed the connection")));
          return call(RedisScripts.load(RedisScripts.WRITE));
        })
        .compose(sha -> {
          writeSha = sha.toString();
          return call(scripts.fence(term));
        })
        .map(held -> {
          checkFence(held);
          pinger = vertx.setPeriodic(PING_MILLIS, id -> call(Request.cmd(Command.PING)).onFailure(this::lost));
          return null;
        });
  }

  @Override
  public Future<Void> write(List<Change> changes) {
    List<List<HashPlan.Op>> calls = new ArrayList<>();
    for (int i = 0; i < changes.size(); i += CHANGES_PER_SCRIPT) {
      calls.add(plan.ops(changes.subList(i, Math.min(changes.size(), i + CHANGES_PER_SCRIPT))));
    }
    return run(calls);
  }

  @Override
  public Future<Void> reconcile(Snapshot snapshot) {
    Map<String, Map<String, ServiceEntry>> wanted = plan.wanted(snapshot.services());
    return call(Request.cmd(Command.SMEMBERS).arg(keys.names())).compose(members -> {
      Set<String> listed = new HashSet<>();
      members.forEach(m -> listed.add(m.toString()));
      Set<String> names = new TreeSet<>(wanted.keySet());
      names.addAll(listed);
      return reconcile(new ArrayList<>(names), 0, wanted, listed);
    });
  }

  /** Reconciles the hashes of {@code names} from {@code from} on, a slice at a time: read, then write what differs. */
  private Future<Void> reconcile(List<String> names, int from, Map<String, Map<String, ServiceEntry>> wanted,
                                 Set<String> listed) {
    if (from >= names.size()) {
      return Future.succeededFuture();
    }
    List<String> slice = names.subList(from, Math.min(names.size(), from + NAMES_PER_READ));
    List<Request> reads = slice.stream().map(n -> Request.cmd(Command.HGETALL).arg(keys.service(n))).toList();
    return connection.batch(reads).timeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(failure("cannot read the hashes", e)))
        .compose(hashes -> {
          List<HashPlan.Op> ops = new ArrayList<>();
          for (int i = 0; i < slice.size(); i++) {
            String name = slice.get(i);
            ops.addAll(plan.reconcile(name, wanted.getOrDefault(name, Map.of()), fields(hashes.get(i)),
                listed.contains(name)));
          }
          List<List<HashPlan.Op>> calls = new ArrayList<>();
          for (int i = 0; i < ops.size(); i += OPS_PER_SCRIPT) {
            calls.add(ops.subList(i, Math.min(ops.size(), i + OPS_PER_SCRIPT)));
          }
          return run(calls);
        })
        .compose(v -> reconcile(names, from + slice.size(), wanted, listed));
  }

  /** Runs the write script once per list of ops, one after another; the first refusal or failure ends it. */
  private Future<Void> run(List<List<HashPlan.Op>> calls) {
    Future<Void> done = Future.succeededFuture();
    for (List<HashPlan.Op> ops : calls) {
      if (!ops.isEmpty()) {
        done = done.compose(v -> call(scripts.write(writeSha, term, ops))).map(this::checkFence);
      }
    }
    return done;
  }

  /**
   * The fence as a script found it: this term's, or a newer one ({@link FencedOut}: another node runs the bridge),
   * or none or an older one: Redis lost it (restarted without its data, or flushed), a failure like a lost connection
   * after which the next session takes the fence again and reconciles.
   */
  private Void checkFence(Response heldBy) {
    String held = heldBy == null ? "" : heldBy.toString();
    if (held.equals(Long.toString(term))) {
      return null;
    }
    long heldTerm;
    try {
      heldTerm = Long.parseLong(held);
    } catch (NumberFormatException e) {
      heldTerm = -1;
    }
    if (heldTerm > term) {
      throw new FencedOut("Redis " + settings.endpoint() + " (" + keys.term() + ")", term, held);
    }
    throw new IllegalStateException("Redis at " + settings.endpoint() + " no longer holds this bridge's fence "
        + keys.term() + " (found '" + held + "', not " + term + "): restarted without its data, or flushed");
  }

  private Future<Response> call(Request request) {
    if (connection == null || closed) {
      return Future.failedFuture("the Redis session is closed");
    }
    return connection.send(request).timeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(failure(request.command() + " failed", e)));
  }

  /** A failure whose message says where and what, and a timeout as such. */
  private Exception failure(String what, Throwable e) {
    String why = e instanceof TimeoutException ? "no answer within " + CALL_TIMEOUT_MILLIS + " ms"
        : e.getMessage() == null ? e.toString() : e.getMessage();
    return new IllegalStateException("Redis at " + settings.endpoint() + ": " + what + ": " + why, e);
  }

  private void lost(Throwable e) {
    if (!closed) {
      lost.accept(e);
    }
  }

  /** A hash as HGETALL answers it (a map in RESP3, pairs in RESP2; the client reads both as keys). */
  private static Map<String, String> fields(Response hash) {
    Map<String, String> fields = new HashMap<>();
    if (hash != null) {
      for (String k : hash.getKeys()) {
        fields.put(k, hash.get(k).toString());
      }
    }
    return fields;
  }

  @Override
  public Future<Void> close() {
    closed = true;
    if (pinger >= 0) {
      vertx.cancelTimer(pinger);
    }
    Redis c = client;
    if (c == null) {
      return Future.succeededFuture();
    }
    return c.close().otherwise((Void) null);
  }
}
