package io.cairn.bridge.redis;

import io.cairn.bridge.Change;
import io.cairn.bridge.FencedOut;
import io.cairn.config.BridgeSettings;
import io.cairn.model.Event;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.cairn.support.Certificates;
import io.cairn.support.RedisServer;
import io.cairn.support.TempDirs;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static io.cairn.bridge.redis.HashPlanTest.change;
import static io.cairn.bridge.redis.HashPlanTest.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link RedisMirror} against a real Redis: the fence, the reconcile, a lost connection, TLS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisMirrorTest {
  private static final String PASSWORD = "mirror-secret";
  private Vertx vertx;
  private Context context;
  private RedisServer redis;
  private final List<RedisMirror> opened = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    redis = RedisServer.start(PASSWORD);
  }

  @AfterEach
  void closeMirrors() throws Exception {
    for (RedisMirror m : opened) {
      on(m::close);
    }
    opened.clear();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      redis.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** Runs a mirror's call on the context, as the bridge does on its event loop, and waits for its result. */
  private <T> T on(Supplier<Future<T>> call) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else {
        result.completeExceptionally(ar.cause());
      }
    }));
    try {
      return result.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private RedisMirror mirror(RedisServer server, String keyPrefix, String caFile) {
    RedisMirror m = new RedisMirror(vertx, new BridgeSettings.Redis("test", URI.create(server.endpoint()), PASSWORD,
        caFile, "mirror-events", keyPrefix));
    opened.add(m);
    return m;
  }

  private static String prefix() {
    return "t" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static List<Change> registered(ServiceEntry... instances) {
    return List.of(instances).stream().map(s -> change(Event.Type.SERVICE_REGISTERED, s)).toList();
  }

  @Test
  void aMirrorOfAnOlderTermIsFencedOutOfItsWritesOnceANewerTermOpened() throws Exception {
    String prefix = prefix();
    RedisMirror older = mirror(redis, prefix, "");
    assertThat((String) on(() -> older.open(3))).isNull();
    RedisMirror newer = mirror(redis, prefix, "");
    on(() -> newer.open(7));

    assertThatThrownBy(() -> on(() -> older.write(registered(instance("web-1", "web", 5))))).isInstanceOf(FencedOut.class)
        .hasMessageContaining("term 7");
    assertThatThrownBy(() -> on(() -> older.reconcile(snapshot(instance("web-1", "web", 5)))))
        .isInstanceOf(FencedOut.class);
    assertThatThrownBy(() -> on(() -> mirror(redis, prefix, "").open(3))).isInstanceOf(FencedOut.class);
    assertThat(redis.cli("EXISTS", prefix + ":service:web")).containsExactly("0");

    on(() -> newer.write(registered(instance("web-1", "web", 5))));
    assertThat(new JsonObject(redis.cli("HGET", prefix + ":service:web", "web-1").get(0)).getLong("term")).isEqualTo(7);
    assertThat(redis.cli("GET", prefix + ":term")).containsExactly("7");
  }

  @Test
  void aFenceRedisLostIsAFailureToRetryNotAnotherTermsTurn() throws Exception {
    String prefix = prefix();
    RedisMirror m = mirror(redis, prefix, "");
    on(() -> m.open(4));
    redis.cli("DEL", prefix + ":term");

    assertThatThrownBy(() -> on(() -> m.write(registered(instance("web-1", "web", 5)))))
        .isNotInstanceOf(FencedOut.class).hasMessageContaining("no longer holds");
  }

  @Test
  void aReconcileLeavesRedisHoldingExactlyTheSnapshot() throws Exception {
    String prefix = prefix();
    redis.cli("HSET", prefix + ":service:stray", "x-1", "{}");
    redis.cli("SADD", prefix + ":services", "stray", "web");
    redis.cli("HSET", prefix + ":service:web", "web-9", "{}");
    redis.cli("HSET", prefix + ":service:unlisted", "u-1", "{}");
    RedisMirror m = mirror(redis, prefix, "");
    on(() -> m.open(2));

    on(() -> m.reconcile(snapshot(instance("web-1", "web", 5), instance("web-2", "web", 6), instance("api-1", "api", 7))));

    assertThat(redis.cli("SMEMBERS", prefix + ":services")).containsExactlyInAnyOrder("api", "web");
    assertThat(redis.cli("HKEYS", prefix + ":service:web")).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(redis.cli("EXISTS", prefix + ":service:stray")).containsExactly("0");
    assertThat(redis.cli("EXISTS", prefix + ":service:unlisted")).containsExactly("1");
    assertThat(new JsonObject(redis.cli("HGET", prefix + ":service:api", "api-1").get(0)).getString("name")).isEqualTo("api");
  }

  @Test
  void aLostConnectionIsReportedAtOnceAndLaterCallsFailPromptly() throws Exception {
    try (RedisServer own = RedisServer.start(PASSWORD)) {
      RedisMirror m = mirror(own, prefix(), "");
      AtomicReference<Throwable> lost = new AtomicReference<>();
      m.whenBroken(lost::set);
      on(() -> m.open(1));

      own.kill();

      await().atMost(Duration.ofSeconds(30)).until(() -> lost.get() != null);
      long started = System.nanoTime();
      assertThatThrownBy(() -> on(() -> m.write(registered(instance("web-1", "web", 5))))).hasMessageMatching("(?is).*closed.*");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(RedisMirror.CALL_TIMEOUT_MILLIS));
    }
  }

  @Test
  void aTlsEndpointIsReachedWithTheConfiguredCa() throws Exception {
    Path tls = Certificates.make();
    try (RedisServer secure = RedisServer.start(PASSWORD, tls)) {
      String prefix = prefix();
      RedisMirror m = mirror(secure, prefix, tls.resolve("ca.pem").toString());
      on(() -> m.open(1));
      on(() -> m.write(registered(instance("web-1", "web", 5))));

      assertThat(secure.cli("HKEYS", prefix + ":service:web")).containsExactly("web-1");
    } finally {
      TempDirs.delete(tls);
    }
  }

  private static Snapshot snapshot(ServiceEntry... services) {
    return new Snapshot(10, 1, "n1", 0, List.of(services), List.of());
  }
}
