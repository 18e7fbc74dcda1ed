package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.registry.Outcome;

import java.util.List;

/**
 * The local request to append commands, and its reply: one outcome per command, in order, each decided by this
 * node's replica when it applied the command.
 */
public final class Append {
  private Append() {
  }

  public record Request(List<Command> commands) {
  }

  public record Reply(List<Outcome> outcomes) {
  }
}
