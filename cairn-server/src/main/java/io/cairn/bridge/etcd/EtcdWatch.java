package io.cairn.bridge.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.EtcdWatchGrpcClient;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.vertx.core.Future;

import java.util.List;
import java.util.function.Consumer;

/**
 * One watch of a prefix on etcd's {@code Watch} stream ({@link EtcdClient#watch}), with progress notifications, so
 * that a quiet prefix still tells how far etcd got. It ends once: cancelled by its owner ({@link #cancel}, nothing
 * said), or by etcd or the network ({@code onEnd}).
 */
public final class EtcdWatch extends EtcdStream<WatchRequest, WatchResponse> {
  /**
   * One response of the watch: its events, oldest first (each {@code getKv().getModRevision()} is the event's
   * revision), and the revision etcd stood at when it sent them. No events: a progress notification, every change
   * up to {@code revision} already delivered.
   */
  public record Events(List<Event> events, long revision) {
    public boolean progress() {
      return events.isEmpty();
    }
  }

  private final String prefix;
  private final long startRevision;
  private final Consumer<Events> onEvents;

  private EtcdWatch(EtcdClient client, String prefix, long startRevision, Consumer<Events> onEvents,
                    Consumer<Throwable> onEnd) {
    super(client, onEnd);
    this.prefix = prefix;
    this.startRevision = startRevision;
    this.onEvents = onEvents;
  }

  static Future<EtcdWatch> open(EtcdClient client, String prefix, long startRevision, Consumer<Events> onEvents,
                                Consumer<Throwable> onEnd) {
    ByteString key = ByteString.copyFromUtf8(prefix);
    WatchRequest create = WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(key)
        .setRangeEnd(EtcdClient.prefixEnd(key)).setStartRevision(startRevision).setProgressNotify(true)).build();
    EtcdWatch w = new EtcdWatch(client, prefix, startRevision, onEvents, onEnd);
    return w.open(EtcdWatchGrpcClient.Watch, create, "the watch of " + prefix).map(w);
  }

  @Override
  protected void answered(WatchResponse answer) {
    if (answer.getCanceled()) {
      end(answer.getCompactRevision() > 0
          ? new EtcdCompacted(client.endpoint(), startRevision, answer.getCompactRevision())
          : new EtcdException("etcd " + client.endpoint() + " cancelled the watch of " + prefix + ": "
          + answer.getCancelReason(), null));
      return;
    }
    if (answer.getCreated()) {
      confirmed();
      if (answer.getEventsCount() == 0) {
        return;
      }
    }
    onEvents.accept(new Events(answer.getEventsList(), answer.getHeader().getRevision()));
  }

  /** Ends the watch; {@code onEnd} is not told. */
  public void cancel() {
    close();
  }
}
