package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.registry.Outcome;

import java.util.List;

/**
 * The local request to append commands, and its reply: one outcome per command, in order, each decided by this
 * node's replica when it applied the command.
 */
public final class Append {
  /** Failure code of a request refused because this side of a split has no quorum (the API's 503 no-quorum). */
  public static final int NO_QUORUM = 5031;
  /**
   * Failure code of a write refused because a node cannot store it: its disk is short of space or its log cannot be
   * written, or the registry is at its quota (the API's 507 insufficient_storage).
   */
  public static final int INSUFFICIENT_STORAGE = 507;

  private Append() {
  }

  /**
   * How to send a request: on this node only, and waiting a little longer than the replication verticle does, so
   * that the caller hears the verticle's own verdict (applied, or timed out and dropped) rather than a bare
   * event-bus timeout while its request may still be appended.
   */
  public static io.vertx.core.eventbus.DeliveryOptions options(io.cairn.config.CairnConfig config) {
    return new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true)
        .setSendTimeout(config.writeTimeoutMillis() + 5_000);
  }

  /** Commands to append, with their JSON already encoded on the submitting thread. */
  public record Request(List<Command> commands, List<byte[]> bodies) {
    public Request(List<Command> commands) {
      this(commands, commands.stream().map(LogCodec::body).toList());
    }
  }

  public record Reply(List<Outcome> outcomes) {
  }
}
