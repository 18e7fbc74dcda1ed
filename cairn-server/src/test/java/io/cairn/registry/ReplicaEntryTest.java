package io.cairn.registry;

import io.cairn.model.ServiceQuery;
import org.junit.jupiter.api.Test;

import static io.cairn.registry.Fixtures.register;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several commands applied at one revision (one Raft entry) become visible together: a reader in the middle of the
 * entry sees the previous revision and the previous stamps, so what it reads or caches is never taken for the
 * entry's complete result.
 */
class ReplicaEntryTest {
  private final Replica replica = new Replica();

  private static ServiceQuery byName(String name) {
    return ServiceQuery.byName(name);
  }

  @Test
  void theRevisionAndTheNamesStampsMoveOnlyWhenTheWholeEntryIsApplied() {
    Apply.apply(replica, register("web-1", "web", 1), 5);
    long stampBefore = replica.revisionFor(byName("web"));
    assertThat(stampBefore).isEqualTo(5);

    replica.beginEntry();
    Apply.apply(replica, register("web-2", "web", 2), 9);
    // Half-way: the change is readable, but stamped as the previous revision.
    assertThat(replica.revision()).isEqualTo(5);
    assertThat(replica.revisionFor(byName("web"))).isEqualTo(stampBefore);
    Apply.apply(replica, register("web-3", "web", 3), 9);
    Apply.apply(replica, register("db-1", "db", 3), 9);
    replica.endEntry();

    assertThat(replica.revision()).isEqualTo(9);
    assertThat(replica.revisionFor(byName("web"))).isEqualTo(9);
    assertThat(replica.revisionFor(byName("db"))).isEqualTo(9);
    assertThat(replica.query(byName("web"))).hasSize(3);
  }

  @Test
  void aNameWhoseLastInstanceGoesInAnEntryIsDroppedWhenTheEntryEnds() {
    Apply.apply(replica, register("tmp-1", "tmp", 1), 3);
    long absentBefore = replica.revisionFor(byName("gone-never-there"));
    replica.beginEntry();
    Apply.apply(replica, Fixtures.on(io.cairn.model.Command.Type.DEREGISTER, "tmp-1", 2), 4);
    assertThat(replica.revisionFor(byName("tmp"))).isEqualTo(3);
    replica.endEntry();
    assertThat(replica.revisionFor(byName("tmp"))).isNegative();
    assertThat(replica.revisionFor(byName("gone-never-there"))).isNotEqualTo(absentBefore);
  }
}
