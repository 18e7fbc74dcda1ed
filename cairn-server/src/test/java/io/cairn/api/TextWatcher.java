package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.streams.WriteStream;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link StreamWatcher} whose frames are short lines of text, over an output a test controls (its queue fills and
 * drains on demand): what a transport's watcher does, with nothing of a protocol.
 */
final class TextWatcher extends StreamWatcher<String> {
  final Output output;

  TextWatcher(Output output, EventFilter filter, Consumer<Watcher> onClose) {
    // Counted as an SSE stream: the node counts only the kinds it serves.
    super("sse", output, filter, onClose);
    this.output = output;
  }

  static TextWatcher of(EventFilter filter, Consumer<Watcher> onClose) {
    return new TextWatcher(new Output(), filter, onClose);
  }

  List<String> frames() {
    return output.written;
  }

  @Override
  protected List<String> eventFrames(List<Event> events, EncodedEvents encoded) {
    return events.stream().map(e -> e.type().json() + " " + e.revision() + " " + e.service().id()).toList();
  }

  @Override
  protected String resetFrame(long revision) {
    return "reset " + revision;
  }

  @Override
  protected String snapshotFrame(Snapshot narrowed, EventFilter filter) {
    return "snapshot " + narrowed.revision() + " " + narrowed.services().stream().map(ServiceEntry::id).sorted().toList();
  }

  @Override
  protected String progressFrame(long revision) {
    return "progress " + revision;
  }

  @Override
  protected String goodbyeFrame(String reconnect) {
    return "goodbye " + reconnect;
  }

  @Override
  protected void writeFrame(String frame) {
    output.write(frame);
  }

  /** Like a gRPC call: the server's own end is the end. */
  @Override
  protected void end(String reconnect) {
    output.end();
    ended();
  }

  /** A write stream whose queue is full while {@link #full} says so; {@link #drain} empties it. */
  static final class Output implements WriteStream<String> {
    final List<String> written = new CopyOnWriteArrayList<>();
    volatile boolean full;
    volatile boolean ended;
    private volatile Handler<Void> drainHandler;

    /** Someone waits for the queue to drain. */
    boolean awaited() {
      return drainHandler != null;
    }

    void drain() {
      full = false;
      Handler<Void> h = drainHandler;
      if (h != null) {
        h.handle(null);
      }
    }

    @Override
    public Future<Void> write(String data) {
      written.add(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      ended = true;
      return Future.succeededFuture();
    }

    @Override
    public boolean writeQueueFull() {
      return full;
    }

    @Override
    public WriteStream<String> drainHandler(Handler<Void> handler) {
      drainHandler = handler;
      return this;
    }

    @Override
    public WriteStream<String> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<String> setWriteQueueMaxSize(int maxSize) {
      return this;
    }
  }
}
