package io.cairn.node.bus;

import io.cairn.model.Command;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.registry.Outcome;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

import java.util.List;

/** The command log behind {@link Addresses#APPEND}, which the replication verticle serves on this node. */
public final class EventBusCommandLog implements CommandLog {
  private final EventBus bus;
  private final DeliveryOptions options;

  public EventBusCommandLog(EventBus bus, long writeTimeoutMillis) {
    this.bus = bus;
    // Waits a little longer than the replication verticle does, so that the caller hears its verdict (applied, or
    // timed out and dropped) rather than a bare event-bus timeout while its request may still be appended.
    this.options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(writeTimeoutMillis + 5_000);
  }

  @Override
  public Future<List<Outcome>> append(List<Command> commands) {
    return bus.<Append.Reply>request(Addresses.APPEND, new Append.Request(commands), options)
        .map(reply -> reply.body().outcomes());
  }
}
