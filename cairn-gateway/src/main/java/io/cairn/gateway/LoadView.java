package io.cairn.gateway;

/** What a balancer may know of the load: requests this node has in flight to an instance. */
@FunctionalInterface
public interface LoadView {
  int inFlight(String instanceId);
}
