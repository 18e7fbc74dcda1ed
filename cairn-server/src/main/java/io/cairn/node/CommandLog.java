package io.cairn.node;

import io.cairn.model.Command;
import io.cairn.registry.Outcome;
import io.vertx.core.Future;

import java.util.List;

/**
 * The registry log as every writer sees it: commands go in, and each comes back with the outcome this node's replica
 * decided when it applied it. A write refused as a whole (no quorum, no storage, timed out) fails the future with a
 * {@link io.vertx.core.eventbus.ReplyException} whose failure code says why: one of the codes below, 503 when the
 * node is behind or the write timed out.
 */
public interface CommandLog {
  /** Failure code of a request refused because this side of a split has no quorum (the API's 503 no-quorum). */
  int NO_QUORUM = 5031;
  /**
   * Failure code of a write refused because a node cannot store it: its disk is short of space or its log cannot be
   * written, or the registry is at its quota (the API's 507 insufficient_storage).
   */
  int INSUFFICIENT_STORAGE = 507;

  Future<List<Outcome>> append(List<Command> commands);

  default Future<Outcome> append(Command command) {
    return append(List.of(command)).map(outcomes -> outcomes.get(0));
  }
}
