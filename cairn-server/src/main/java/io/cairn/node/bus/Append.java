package io.cairn.node.bus;

import io.cairn.model.Command;
import io.cairn.model.ModelJson;
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

  /** Commands to append, with their JSON (the body of each log item) already encoded on the submitting thread. */
  public record Request(List<Command> commands, List<byte[]> bodies) {
    public Request(List<Command> commands) {
      this(commands, commands.stream().map(ModelJson::bytes).toList());
    }
  }

  public record Reply(List<Outcome> outcomes) {
  }
}
