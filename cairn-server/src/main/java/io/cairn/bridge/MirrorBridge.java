package io.cairn.bridge;

import io.cairn.api.WatchHub;
import io.cairn.config.BridgeSettings;
import io.cairn.node.BridgeBoard;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.EventHistory;
import io.cairn.registry.Replica;
import io.vertx.core.Future;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A bridge that mirrors Cairn's registry out (etcd export, Redis): it follows the change stream on a
 * {@link WatchHub} of its own and writes it to its {@link MirrorTarget}. A session opens the target, which says
 * where the mirror stands; it resumes from there when this node still has the events after it, and otherwise (no
 * position, one from another history, or one older than the event history) starts from a snapshot, which the target
 * reconciles with what it holds.
 */
public final class MirrorBridge extends BridgeVerticle {
  private final EventHistory history;
  private final NodeStats stats;
  private final Supplier<MirrorTarget> targets;
  private WatchHub hub;
  private RegistryFeed feed;

  /** @param targets a new target for each session */
  public MirrorBridge(BridgeSettings.Bridge settings, NodeState node, Replica replica, BridgeBoard board,
                      EventHistory history, NodeStats stats, Supplier<MirrorTarget> targets) {
    super(settings, node, replica, board);
    this.history = history;
    this.stats = stats;
    this.targets = targets;
  }

  @Override
  public void start() {
    // Keep-alive progress is for clients behind idle timeouts; a bridge needs it only to learn it is up to date.
    hub = new WatchHub(vertx, node, replica, history, stats, 1_000);
    super.start();
  }

  @Override
  protected Future<Session> connect(long term, Consumer<Throwable> failed) {
    MirrorTarget target = targets.get();
    target.whenBroken(failed);
    return target.open(term).<Session>map(position -> {
      long[] at = RegistryFeed.position(position);
      boolean resumable = at != null && at[0] <= replica.revision();
      RegistryFeed f = new RegistryFeed(target, resumable ? at[0] : 0, resumable ? (int) at[1] : -1, failed);
      feed = f;
      if (resumable) {
        hub.watchFrom(f, at[0], (int) at[1]);
      } else {
        hub.watchWithSnapshot(f);
      }
      return () -> {
        f.close();
        hub.remove(f);
        if (feed == f) {
          feed = null;
        }
        return target.close();
      };
    }).recover(e -> target.close().transform(v -> Future.failedFuture(e)));
  }

  @Override
  protected Progress progress() {
    RegistryFeed f = feed;
    if (f == null) {
      return new Progress(0, 0, 0);
    }
    long lag = f.idle() ? 0 : Math.max(0, replica.revision() - f.mirrored());
    return new Progress(f.mirrored(), lag, f.lagMillis(System.currentTimeMillis()));
  }
}
