package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;

import java.util.List;

/**
 * Who tells the gateway which instances may serve: a node's replica, or (for an agent's sidecar) its watch stream.
 * Called once per request and retry, so an answer must cost little: a cached list while nothing changed.
 */
public interface InstanceSource {
  /**
   * The instances of {@code service} in rotation (healthy or degraded, enabled, not draining) that {@code select}
   * admits, in a stable order; empty when there are none.
   */
  List<ServiceEntry> inRotation(String service, Route.Select select);

  /**
   * Whether {@code service} has instances at all, in rotation or not: only such services get state and metrics of
   * their own, so that Host headers naming anything cannot grow either.
   */
  boolean known(String service);

  /** Every instance of {@code service}, whatever its health and rotation, in a stable order; empty when none. */
  List<ServiceEntry> registered(String service);
}
