package io.cairn.api;

import io.cairn.config.BridgeSettings;
import io.cairn.node.BridgeBoard;
import io.cairn.node.BridgeStatus;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/bridges}: each configured bridge with what its runner last said of itself, as this node heard it
 * (for callers that may read {@code cluster}). Where a bridge writes is shown without user or password.
 */
public final class BridgeViews {
  private final List<BridgeSettings.Bridge> bridges;
  private final BridgeBoard board;
  private final Access access;

  /**
   * @param running  a node runs it now (its last status is fresh); when false, node and the figures are those last
   *                 heard, if any
   * @param target   where it reads or writes: endpoints and prefix, or the Redis endpoint and channel
   * @param lagMillis how long the oldest change not yet written has waited
   */
  public record BridgeView(String id, String type, String target, boolean running, BridgeStatus last) {
  }

  public BridgeViews(List<BridgeSettings.Bridge> bridges, BridgeBoard board, Access access) {
    this.bridges = bridges;
    this.board = board;
    this.access = access;
  }

  public List<BridgeView> bridges(Caller caller) {
    access.require(caller, Access.CLUSTER, Action.READ, "bridges");
    long now = System.currentTimeMillis();
    List<BridgeView> views = new ArrayList<>();
    for (BridgeSettings.Bridge b : bridges) {
      BridgeBoard.Heard heard = board.of(b.id());
      views.add(new BridgeView(b.id(), b.type().key(), target(b), heard != null && heard.current(now),
          heard == null ? null : heard.status()));
    }
    return views;
  }

  private static String target(BridgeSettings.Bridge b) {
    if (b instanceof BridgeSettings.Etcd e) {
      return String.join(",", e.connection().endpoints().stream().map(URI::toString).toList()) + " " + e.prefix()
          + " (" + e.format().key() + ")";
    }
    BridgeSettings.Redis r = (BridgeSettings.Redis) b;
    return r.endpoint() + " channel " + r.channel() + ", keys " + r.keyPrefix() + ":*";
  }
}
