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
   * @param key        the request's key and the instances it is placed among, for the hash balancer; null when the
   *                   request carries none
   */
  ServiceEntry pick(List<ServiceEntry> candidates, LoadView load, Keyed key);

  /**
   * A request's key for consistent hashing.
   *
   * @param hash       the key's hash ({@link HashRing#hash})
   * @param population every instance the key could be placed on (the candidates before tries and ejections took
   *                   some out), so that a key keeps its place while others come and go
   */
  record Keyed(long hash, List<ServiceEntry> population) {
  }
}
