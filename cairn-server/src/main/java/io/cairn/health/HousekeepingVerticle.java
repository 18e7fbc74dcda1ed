package io.cairn.health;

import io.cairn.config.HealthSettings;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * TTL heartbeats and the housekeeping they drive.
 *
 * <p>A heartbeat that changes nothing (the instance is already healthy) is not a log command: the node that
 * received it gathers such ids for {@code health.heartbeatBatch} and publishes them to every node, so that the
 * leader, and any node that becomes leader later, knows when each instance was last heard from. A heartbeat that
 * revives an unhealthy instance is a command, appended by the gateway.
 *
 * <p>The leader scans every {@code health.ttlScanInterval}: an instance not heard from for one ttl becomes
 * unhealthy; one that stayed unhealthy for its {@code deregisterAfter} is deregistered. Both are log commands
 * stamped with the leader's term.
 */
public class HousekeepingVerticle extends AbstractVerticle {
  private final HealthSettings settings;
  private final NodeState node;
  private final Replica replica;
  private final CommandLog commandLog;
  /** Instance id → when this node last heard (directly or from a peer) that it heartbeated, local clock. */
  private final Map<String, Long> lastHeard = new HashMap<>();
  private final Set<String> batch = new LinkedHashSet<>();
  /** Ids with an expiry or deregistration in the log but not yet applied, so each is appended once. */
  private final Set<String> pending = new HashSet<>();
  private long leaderSince;

  public HousekeepingVerticle(HealthSettings settings, NodeState node, Replica replica, CommandLog commandLog) {
    this.settings = settings;
    this.node = node;
    this.replica = replica;
    this.commandLog = commandLog;
  }

  @Override
  public void start() {
    vertx.eventBus().<String>localConsumer(Addresses.HEARTBEAT_LOCAL, msg -> {
      lastHeard.put(msg.body(), System.currentTimeMillis());
      batch.add(msg.body());
    });
    vertx.eventBus().<JsonArray>consumer(Addresses.HEARTBEATS, msg -> {
      long now = System.currentTimeMillis();
      for (Object id : msg.body()) {
        lastHeard.put((String) id, now);
      }
    });
    vertx.setPeriodic(settings.heartbeatBatchMillis(), id -> publishBatch());
    vertx.setPeriodic(settings.ttlScanIntervalMillis(), id -> scan());
    // Every node keeps what it heard (a future leader needs it); forget instances that are gone.
    vertx.setPeriodic(10_000, id -> lastHeard.keySet().retainAll(replica.ttlIds()));
  }

  private void publishBatch() {
    if (batch.isEmpty()) {
      return;
    }
    JsonArray ids = new JsonArray(new ArrayList<>(batch));
    batch.clear();
    vertx.eventBus().publish(Addresses.HEARTBEATS, ids);
  }

  private void scan() {
    if (!node.actsAsLeader() || !node.ready()) {
      leaderSince = 0;
      return;
    }
    long now = System.currentTimeMillis();
    if (leaderSince == 0) {
      // A new leader has heard heartbeats only since it started; nothing expires before one full ttl from now.
      leaderSince = now;
    }
    for (String id : replica.ttlIds()) {
      ServiceEntry e = replica.get(id);
      if (e == null || e.health() == Health.UNHEALTHY || pending.contains(id)) {
        continue;
      }
      long heard = Math.max(Math.max(lastHeard.getOrDefault(id, 0L), e.lastHeartbeat()), leaderSince);
      if (now - heard > e.ttlMillis()) {
        housekeep(Command.setHealth(node.nodeId(), 0, now, replica.term(), id, Health.UNHEALTHY,
            "no heartbeat for " + (now - heard) + "ms (ttl " + e.ttlMillis() + "ms)"));
      }
    }
    for (String id : replica.idsWithHealth(Health.UNHEALTHY)) {
      ServiceEntry e = replica.get(id);
      if (e == null || e.check() == null || e.check().deregisterAfterMillis() <= 0 || pending.contains(id)) {
        continue;
      }
      if (now - e.healthSince() > e.check().deregisterAfterMillis()) {
        housekeep(Command.housekeeping(Command.Type.DEREGISTER, node.nodeId(), 0, now, replica.term(), id,
            "unhealthy for longer than deregisterAfter"));
      }
    }
  }

  private void housekeep(Command command) {
    pending.add(command.id());
    commandLog.append(command).onComplete(ar -> pending.remove(command.id()));
  }
}
