package io.cairn.api;

import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ValidationException;
import io.cairn.node.NodeState;
import io.cairn.registry.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a bridge that brings instances from another registry writes into Cairn: registrations judged as the API
 * judges them, and changes appended as the node itself (no caller to check), each stamped with the term the node
 * leads (see {@link Command#withTerm}), so a bridge whose node lost the lead has its late writes refused by every
 * replica ({@code STALE_TERM}) instead of applied after its successor's.
 */
public final class ImportOperations {
  private final RegistryOperations ops;
  private final NodeState node;

  public ImportOperations(RegistryOperations ops, NodeState node) {
    this.ops = ops;
    this.node = node;
  }

  /** The instance a registration describes, or a {@link ValidationException} naming the field. */
  public ServiceEntry parse(JsonObject registration) {
    return ops.parse(registration, null);
  }

  /**
   * Registrations, then the health the other registry states (with {@code reason}), then deregistrations, as one
   * entry of the log; answers each command's outcome, in that order.
   */
  public Future<List<Outcome>> write(long term, List<ServiceEntry> registrations, Map<String, Health> health,
                                     String reason, List<String> deregistrations) {
    long now = System.currentTimeMillis();
    List<Command> commands = new ArrayList<>(registrations.size() + health.size() + deregistrations.size());
    for (ServiceEntry e : registrations) {
      commands.add(Command.register(node.nodeId(), 0, now, e, false, Command.NO_CAS).withTerm(term));
    }
    health.forEach((id, h) -> commands.add(Command.setHealth(node.nodeId(), 0, now, term, id, h, reason)));
    for (String id : deregistrations) {
      commands.add(Command.onInstance(Command.Type.DEREGISTER, node.nodeId(), 0, now, id).withTerm(term));
    }
    return commands.isEmpty() ? Future.succeededFuture(List.of()) : ops.append(commands);
  }

  /** A heartbeat of an imported ttl instance whose key still lives (see RegistryOperations#heartbeat). */
  public void heartbeat(String id) {
    ops.heartbeat(Caller.NODE, id);
  }
}
