package io.cairn.node;

import io.cairn.model.Command;
import io.cairn.registry.Outcome;
import io.vertx.core.Future;

import java.util.List;

/**
 * The registry log as every writer sees it: commands go in, and each comes back with the outcome this node's replica
 * decided when it applied it. A write refused as a whole (no quorum, no storage, timed out) fails the future with a
 * {@link io.vertx.core.eventbus.ReplyException} whose failure code says why (see {@link io.cairn.node.bus.Append}).
 */
public interface CommandLog {
  Future<List<Outcome>> append(List<Command> commands);

  default Future<Outcome> append(Command command) {
    return append(List.of(command)).map(outcomes -> outcomes.get(0));
  }
}
