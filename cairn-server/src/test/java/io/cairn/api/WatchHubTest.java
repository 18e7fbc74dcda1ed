package io.cairn.api;

import io.cairn.node.Addresses;
import io.cairn.node.bus.Applied;
import io.cairn.node.bus.LocalCodec;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Snapshot;
import io.vertx.core.Context;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.cairn.api.ApiFixture.await;
import static io.cairn.api.ApiFixture.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The watch hub of one event loop with a watcher on it, fed as the replication room feeds it: each entry's events go
 * into the history and are published on the loop once applied.
 */
class WatchHubTest {
  private final ApiFixture api = new ApiFixture().leading();
  /** Generous: a loaded machine may take seconds to run the loop; a watcher that gets nothing fails either way. */
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private final EventHistory history = new EventHistory(100);
  private Context loop;
  private WatchHub hub;

  @BeforeEach
  void startHub() {
    api.vertx.eventBus().registerDefaultCodec(Applied.class, new LocalCodec<>(Applied.class));
    api.vertx.eventBus().registerDefaultCodec(Snapshot.class, new LocalCodec<>(Snapshot.class));
    api.vertx.eventBus().localConsumer(Addresses.REPLICA_SNAPSHOT, msg -> msg.reply(api.replica.snapshot()));
    api.log.onApplied = events -> {
      history.addAll(events);
      api.vertx.eventBus().publish(Addresses.APPLIED, new Applied(events, api.replica.revision()));
    };
    loop = api.vertx.getOrCreateContext();
    hub = onLoop(() -> new WatchHub(api.vertx, api.node, api.replica, history, api.stats, 60_000));
  }

  @AfterEach
  void close() {
    api.close();
  }

  /** Runs {@code action} on the hub's loop, where every watcher call happens, and waits for it. */
  private <T> T onLoop(Supplier<T> action) {
    CompletableFuture<T> done = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        done.complete(action.get());
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void onLoop(Runnable action) {
    onLoop(() -> {
      action.run();
      return null;
    });
  }

  private TextWatcher watcherOf(String name) {
    EventFilter filter = EventFilter.of(name, null, api.access, Caller.NODE);
    return TextWatcher.of(filter, closed -> hub.remove(closed));
  }

  /** Registers the instances (id, name, id, name, ...) as one entry; answers its revision. */
  private long register(String... idsAndNames) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < idsAndNames.length; i += 2) {
      items.add(instance(idsAndNames[i], idsAndNames[i + 1]));
    }
    return await(api.ops.registerAll(Caller.NODE, items)).revision();
  }

  @Test
  void aWatcherGetsTheEventsItWantsAsTheyAreApplied() {
    TextWatcher web = watcherOf("web");
    onLoop(() -> hub.watchFromNow(web));

    long revision = register("web-1", "web", "db-1", "db");

    await().atMost(SETTLE).until(() -> !web.frames().isEmpty());
    assertThat(web.frames()).containsExactly("serviceRegistered " + revision + " web-1");
  }

  @Test
  void aResetStartsEveryWatcherOverFromASnapshotOfWhatItMaySee() {
    TextWatcher web = watcherOf("web");
    onLoop(() -> hub.watchFromNow(web));
    long revision = register("web-1", "web", "db-1", "db");
    await().atMost(SETTLE).until(() -> web.frames().size() == 1);

    api.vertx.eventBus().publish(Addresses.APPLIED, Applied.RESET);

    await().atMost(SETTLE).until(() -> web.frames().size() == 3);
    assertThat(web.frames()).endsWith("reset " + revision, "snapshot " + revision + " [web-1]");
  }

  @Test
  void aWatcherResumesFromTheHistoryOrStartsOverWhenItResumesBeforeIt() {
    long first = register("web-1", "web");
    long second = register("web-2", "web");
    TextWatcher within = watcherOf("web");
    onLoop(() -> hub.watchFrom(within, first, -1));
    await().atMost(SETTLE).until(() -> !within.frames().isEmpty());
    assertThat(within.frames()).containsExactly("serviceRegistered " + second + " web-2");

    history.reset(second);
    TextWatcher before = watcherOf("web");
    onLoop(() -> hub.watchFrom(before, first, -1));

    await().atMost(SETTLE).until(() -> before.frames().size() == 2);
    assertThat(before.frames()).containsExactly("reset " + second, "snapshot " + second + " [web-1, web-2]");
  }

  @Test
  void aWatcherResumingAheadOfThisNodeWaitsForItInsteadOfGoingBackToAnOlderSnapshot() {
    // The client heard the first of two events of a revision on a node further on, then failed over to this one.
    long first = register("web-1", "web");
    TextWatcher ahead = watcherOf("web");
    onLoop(() -> hub.watchFrom(ahead, first + 1, 0));

    long next = register("web-2", "web", "web-3", "web");

    assertThat(next).isEqualTo(first + 1);
    await().atMost(SETTLE).until(() -> !ahead.frames().isEmpty());
    assertThat(ahead.frames()).containsExactly("serviceRegistered " + next + " web-3");
  }

  @Test
  void aWatcherThatFallsBehindIsSkippedThenStartsOverOnceDrained() {
    TextWatcher web = watcherOf("web");
    onLoop(() -> hub.watchFromNow(web));
    web.output.full = true;

    long revision = register("web-1", "web");
    await().atMost(SETTLE).until(web.output::awaited);
    assertThat(web.frames()).isEmpty();

    onLoop(web.output::drain);
    await().atMost(SETTLE).until(() -> web.frames().size() == 2);
    assertThat(web.frames()).containsExactly("reset " + revision, "snapshot " + revision + " [web-1]");
  }

  @Test
  void aWatcherThatRevisionsBringNothingHearsHowFarItIs() {
    TextWatcher web = watcherOf("web");
    onLoop(() -> hub.watchFromNow(web));

    long revision = register("db-1", "db");

    await().atMost(SETTLE).until(() -> !web.frames().isEmpty());
    assertThat(web.frames()).containsExactly("progress " + revision);
  }

  @Test
  void aWatcherClosedForLeavingSaysGoodbyeOnceAndHearsNothingMore() {
    TextWatcher web = watcherOf("web");
    onLoop(() -> hub.watchFromNow(web));
    assertThat(api.stats.watchers("sse")).isEqualTo(1);

    onLoop(() -> web.close("http://n2:8080"));
    onLoop(() -> web.close("http://n3:8080"));
    register("web-1", "web");
    onLoop(() -> web.sendProgress(api.replica.revision()));

    assertThat(web.frames()).containsExactly("goodbye http://n2:8080");
    assertThat(web.output.ended).isTrue();
    assertThat(web.open()).isFalse();
    assertThat(api.stats.watchers("sse")).isZero();
  }
}
