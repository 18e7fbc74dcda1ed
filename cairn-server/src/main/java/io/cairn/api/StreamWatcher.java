package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.registry.Snapshot;
import io.vertx.core.streams.WriteStream;

import java.util.List;
import java.util.function.Consumer;

/**
 * What every change stream does alike, whatever its protocol (SSE, WebSocket, gRPC): it follows its
 * {@link EventFilter}, narrows each snapshot to what its caller may see, writes nothing once its client is gone,
 * counts as behind while its transport's write queue is full, says goodbye before the node leaves, and reports its
 * end once. A transport says only how each message is framed and how a frame is written.
 *
 * @param <F> what the transport writes at once: a chunk of text, a text message, a protobuf message
 */
public abstract class StreamWatcher<F> implements Watcher {
  private final String kind;
  private final WriteStream<?> output;
  private final Consumer<Watcher> onClose;
  /** Changed only by a WebSocket's subscribe. */
  private volatile EventFilter filter;
  private boolean open = true;
  private boolean closeReported;

  /**
   * @param kind    the label of cairn_watchers: sse, websocket or grpc
   * @param output  where the frames go, for its write queue
   * @param onClose runs once, when the client is gone or the stream has ended
   */
  protected StreamWatcher(String kind, WriteStream<?> output, EventFilter filter, Consumer<Watcher> onClose) {
    this.kind = kind;
    this.output = output;
    this.filter = filter;
    this.onClose = onClose;
  }

  // ---------------------------------------------------------------- framing, each transport's own

  /** The frames of events of whole revisions, in order: one per event, or one for the lot. */
  protected abstract List<F> eventFrames(List<Event> events, EncodedEvents encoded);

  /** Tells the client it starts over (what it had is gone): the snapshot follows. */
  protected abstract F resetFrame(long revision);

  /** The registry at one revision, already narrowed by {@code filter} (which its extras, if any, follow too). */
  protected abstract F snapshotFrame(Snapshot narrowed, EventFilter filter);

  protected abstract F progressFrame(long revision);

  /** Tells the client where to reconnect ({@code reconnect}, empty when there is nowhere) before the stream ends. */
  protected abstract F goodbyeFrame(String reconnect);

  /** Writes one frame to a client that is still there. */
  protected abstract void writeFrame(F frame);

  /** Ends the stream after its goodbye; a transport that learns of no end of its own calls {@link #ended} here. */
  protected abstract void end(String reconnect);

  // ---------------------------------------------------------------- delivery, the same for all

  /** Writes the frame unless the client is gone. */
  protected final void write(F frame) {
    if (open) {
      writeFrame(frame);
    }
  }

  /** The client is gone, or the stream ended: nothing more is written, and {@code onClose} runs (once). */
  protected final void ended() {
    open = false;
    if (!closeReported) {
      closeReported = true;
      onClose.accept(this);
    }
  }

  /** Follows another filter from now on (a WebSocket's subscription); the caller sends a snapshot of it. */
  protected final void follow(EventFilter newFilter) {
    filter = newFilter;
  }

  @Override
  public final String kind() {
    return kind;
  }

  @Override
  public final boolean wants(Event event) {
    return filter.wants(event);
  }

  @Override
  public final void send(List<Event> events, EncodedEvents encoded) {
    if (open) {
      eventFrames(events, encoded).forEach(this::write);
    }
  }

  @Override
  public final void sendSnapshot(Snapshot snapshot, boolean reset) {
    if (!open) {
      return;
    }
    if (reset) {
      write(resetFrame(snapshot.revision()));
    }
    // One filter for the picture and what comes with it, even if the client subscribes anew meanwhile.
    EventFilter current = filter;
    write(snapshotFrame(current.narrow(snapshot), current));
  }

  @Override
  public final void sendProgress(long revision) {
    write(progressFrame(revision));
  }

  /** The node is leaving: a goodbye naming another node ({@code reconnect}, or empty), then the stream ends. */
  public final void close(String reconnect) {
    if (!open) {
      return;
    }
    write(goodbyeFrame(reconnect));
    end(reconnect);
    open = false;
  }

  @Override
  public final boolean open() {
    return open;
  }

  @Override
  public final boolean behind() {
    return output.writeQueueFull();
  }

  /** The drain handler runs once: a later full queue sets its own. */
  @Override
  public final void whenDrained(Runnable action) {
    output.drainHandler(v -> {
      output.drainHandler(null);
      action.run();
    });
  }
}
