package io.cairn.gateway;

import io.cairn.model.ServiceEntry;

import java.util.List;

/**
 * Picks the instance a try goes to. One balancer per route, shared by every event loop: implementations are
 * thread-safe and keep their state in atomics.
 */
public interface Balancer {
  /**
   * @param candidates not empty, and already narrowed to what may serve this try: in rotation, not ejected, not
   *                   tried before by this request
   * @param load       this node's in-flight counts, for balancers that weigh load
   */
  ServiceEntry pick(List<ServiceEntry> candidates, LoadView load);
}
