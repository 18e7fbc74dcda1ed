package io.cairn.api;

import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.node.Standing;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;

import static io.cairn.api.ApiFixture.instance;
import static io.cairn.api.ApiFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterViewsTest {
  private ApiFixture api = new ApiFixture();

  @AfterEach
  void close() {
    api.close();
  }

  @Test
  void aNodeThatHasNotCaughtUpSaysSoAndNamesNoLeader() {
    ClusterViews.Status status = api.views.status(Caller.NODE);

    assertThat(status.node()).isEqualTo(ApiFixture.NODE_ID);
    assertThat(status.ready()).isFalse();
    assertThat(status.role()).isEqualTo("follower");
    assertThat(status.leader()).isNull();
    assertThat(status.leaderSince()).isNull();
    assertThat(status.leaderUptimeMillis()).isNull();
    assertThat(status.quorate()).isFalse();
    assertThat(status.current()).isFalse();
    assertThat(status.notCurrentBecause()).contains("not in touch with a Raft leader");
    assertThat(status.raft().membership()).isEqualTo("none");
    assertThat(status.votersWanted()).isEqualTo(api.cfg.raft().voters());
    assertThat(status.standing()).isEqualTo(Standing.UNMEASURED);
    assertThat(status.revision()).isZero();
    assertThat(status.services()).isZero();
    assertThat(status.httpPort()).isEqualTo(api.cfg.http().port());
  }

  @Test
  void aLeaderSaysSoAndCountsWhatItsReplicaHolds() {
    api.leading();
    api.joined(ApiFixture.NODE_ID, "m1");
    api.elected();
    ApiFixture.await(api.ops.registerAll(Caller.NODE, new JsonArray()
        .add(instance("web-1", "web")).add(instance("web-2", "web")).add(instance("db-1", "db"))));

    ClusterViews.Status status = api.views.status(Caller.NODE);

    assertThat(status.ready()).isTrue();
    assertThat(status.role()).isEqualTo("leader");
    assertThat(status.isLeader()).isTrue();
    assertThat(status.leader()).isEqualTo(ApiFixture.NODE_ID);
    assertThat(status.term()).isEqualTo(1);
    assertThat(status.leaderSince()).isNotNull();
    assertThat(status.current()).isTrue();
    assertThat(status.notCurrentBecause()).isNull();
    assertThat(status.services()).isEqualTo(3);
    assertThat(status.names()).isEqualTo(2);
    assertThat(status.nodes()).isEqualTo(1);
    assertThat(status.revision()).isEqualTo(api.replica.revision());
  }

  @Test
  void aNodeThatHazelcastNoLongerListsIsSuspectUntilTheLogSaysOtherwise() {
    api.leading();
    api.joined("n1", "m1");
    api.joined("n2", "m2");
    api.elected();
    api.writers.membership().liveMembers(Set.of("m1"));

    ClusterViews.Nodes nodes = api.views.nodes(Caller.NODE);

    assertThat(nodes.leader()).isEqualTo("n1");
    assertThat(nodes.revision()).isEqualTo(api.replica.revision());
    assertThat(nodes.nodes()).extracting(v -> v.info().id()).containsExactly("n1", "n2");
    ClusterViews.NodeView one = nodes.nodes().get(0);
    ClusterViews.NodeView two = nodes.nodes().get(1);
    assertThat(one.status()).isEqualTo("alive");
    assertThat(one.role()).isEqualTo("leader");
    assertThat(one.leader()).isTrue();
    assertThat(one.problem()).isNull();
    assertThat(two.status()).isEqualTo("suspect");
    assertThat(two.role()).isEqualTo("follower");
  }

  @Test
  void theTopologyIsCountedOncePerRevision() {
    api.leading();
    ClusterViews.Topology empty = api.views.topology(Caller.NODE);
    assertThat(empty.total()).isZero();
    assertThat(empty.byStatus().keySet()).containsExactlyInAnyOrder(
        Arrays.stream(Health.values()).map(Health::json).toArray(String[]::new));
    assertThat(api.views.topology(Caller.NODE)).isSameAs(empty);

    ApiFixture.await(api.ops.register(Caller.NODE, instance("web-1", "web").put("region", "eu"), null, true, Command.NO_CAS));
    ClusterViews.Topology one = api.views.topology(Caller.NODE);

    assertThat(one).isNotSameAs(empty);
    assertThat(one.total()).isEqualTo(1);
    assertThat(one.byRegion()).containsEntry("eu", 1);
    assertThat(one.byZone()).containsEntry("none", 1);
  }

  @Test
  void aCallerWithoutRightsIsRefusedEveryView() {
    api.close();
    api = ApiFixture.secured();
    Caller stranger = Caller.anonymous("10.0.0.9");

    assertThat(refused(() -> api.views.status(stranger)).status()).isEqualTo(403);
    assertThat(refused(() -> api.views.nodes(stranger)).status()).isEqualTo(403);
    assertThat(refused(() -> api.views.topology(stranger)).status()).isEqualTo(403);
    assertThat(refused(() -> api.views.stats(stranger)).status()).isEqualTo(403);
  }

  @Test
  void statsShowTheReplicaAtItsRevision() {
    api.leading();
    ApiFixture.await(api.ops.register(Caller.NODE, instance("web-1", "web"), null, true, Command.NO_CAS));

    ClusterViews.Stats stats = api.views.stats(Caller.NODE);

    assertThat(stats.revision()).isEqualTo(api.replica.revision());
    assertThat(stats.replica().digest()).isEqualTo(api.replica.digest());
    assertThat(stats.replica().services()).isEqualTo(1);
    assertThat(stats.log().averageBatch()).isZero();
    assertThat(stats.persistence().snapshotAgeMillis()).isNull();
    assertThat(stats.checks().owned()).isZero();
  }
}
