package io.cairn.node.bus;

import io.cairn.model.Command;
import io.cairn.model.LogProto;
import io.cairn.registry.Outcome;

import java.util.List;

/**
 * The local request to append commands, and its reply: one outcome per command, in order, each decided by this
 * node's replica when it applied the command.
 */
public final class Append {
  private Append() {
  }

  /** Commands to append, with their log encoding (the body of each log item) already encoded on the submitting thread. */
  public record Request(List<Command> commands, List<byte[]> bodies) {
    public Request(List<Command> commands) {
      this(commands, commands.stream().map(LogProto::bytes).toList());
    }
  }

  public record Reply(List<Outcome> outcomes) {
  }
}
