package io.cairn.client;

import io.cairn.grpc.v1.Instance;

import java.util.List;

/** Hears of a watched service's changes. Called on the client's event loop: do not block. */
public interface InstanceListener {

  /**
   * An instance was registered, changed (health, rotation, version...) or deregistered ({@code removed}); also
   * once per instance after the cache was rebuilt from a snapshot.
   */
  void changed(Instance instance, boolean removed);

  /**
   * An instance this program used ({@link CairnClient#pick} or {@link CairnClient#acquire} returned it) is going
   * away: it started draining, was disabled, turned unhealthy or was deregistered. {@code alternatives} are the
   * service's passing instances now.
   */
  default void leaving(Instance instance, List<Instance> alternatives) {
  }
}
