package io.cairn.registry;

import io.cairn.model.Command;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.model.StatusFilter;
import io.cairn.model.VersionFilter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.cairn.registry.Fixtures.definition;
import static io.cairn.registry.Fixtures.on;
import static org.assertj.core.api.Assertions.assertThat;

class QueryTest {
  private final Replica replica = new Replica();
  private long revision;

  private void add(String id, String name, String version, List<String> tags, Map<String, String> meta, String region, String zone) {
    Apply.apply(replica, Command.register("n1", 0, 1, definition(id, name, version, tags, meta, region, zone, 0), false, -1), ++revision);
  }

  @BeforeEach
  void registry() {
    add("web-1", "web", "1.2.0", List.of("http", "blue"), Map.of("team", "a"), "eu", "eu-1");
    add("web-2", "web", "1.4.7", List.of("http", "green"), Map.of("team", "a"), "eu", "eu-2");
    add("web-3", "web", "2.0.0", List.of("http"), Map.of("team", "b"), "us", "us-1");
    add("db-1", "db", "9.6", List.of("sql"), Map.of(), "eu", "eu-1");
    Apply.apply(replica, on(Command.Type.DISABLE, "web-2", 2), ++revision);
  }

  private List<String> ids(ServiceQuery q) {
    return replica.query(q).stream().map(ServiceEntry::id).toList();
  }

  private ServiceQuery q(String name, String version, List<String> tags, StatusFilter status, String region, String zone, Map<String, String> meta) {
    return new ServiceQuery(name, version == null ? null : VersionFilter.parse(version), tags, status, null, region, zone, new TreeMap<>(meta));
  }

  @Test
  void byNameReturnsPassingInstancesSortedById() {
    assertThat(ids(ServiceQuery.byName("web"))).containsExactly("web-1", "web-3");
  }

  @Test
  void statusAnyIncludesDisabledInstances() {
    assertThat(ids(q("web", null, List.of(), StatusFilter.ANY, null, null, Map.of()))).containsExactly("web-1", "web-2", "web-3");
  }

  @Test
  void everyTagMustMatch() {
    assertThat(ids(q(null, null, List.of("http", "blue"), StatusFilter.ANY, null, null, Map.of()))).containsExactly("web-1");
    assertThat(ids(q(null, null, List.of("http", "nope"), StatusFilter.ANY, null, null, Map.of()))).isEmpty();
  }

  @Test
  void versionTakesExactVersionsAndSemverRanges() {
    assertThat(ids(q("web", "^1.2", List.of(), StatusFilter.ANY, null, null, Map.of()))).containsExactly("web-1", "web-2");
    assertThat(ids(q("web", ">=1.3 <3", List.of(), StatusFilter.ANY, null, null, Map.of()))).containsExactly("web-2", "web-3");
    assertThat(ids(q("web", "2.0.0", List.of(), StatusFilter.ANY, null, null, Map.of()))).containsExactly("web-3");
    assertThat(ids(q("db", "9.x", List.of(), StatusFilter.ANY, null, null, Map.of()))).containsExactly("db-1");
  }

  @Test
  void regionZoneAndMetadataNarrowTheResult() {
    assertThat(ids(q(null, null, List.of(), StatusFilter.ANY, "eu", null, Map.of()))).containsExactly("db-1", "web-1", "web-2");
    assertThat(ids(q(null, null, List.of(), StatusFilter.ANY, "eu", "eu-1", Map.of()))).containsExactly("db-1", "web-1");
    assertThat(ids(q("web", null, List.of(), StatusFilter.ANY, null, null, Map.of("team", "a")))).containsExactly("web-1", "web-2");
  }

  @Test
  void theNameRevisionMovesOnlyWhenThatNameChanges() {
    long web = replica.revisionFor(ServiceQuery.byName("web"));
    long db = replica.revisionFor(ServiceQuery.byName("db"));
    Apply.apply(replica, on(Command.Type.DRAIN, "db-1", 3), ++revision);
    assertThat(replica.revisionFor(ServiceQuery.byName("web"))).isEqualTo(web);
    assertThat(replica.revisionFor(ServiceQuery.byName("db"))).isGreaterThan(db);
  }

  @Test
  void aQueryByNameTouchesOnlyThatNamesInstances() {
    for (int i = 0; i < 5000; i++) {
      add("other-" + i, "other", "1.0.0", List.of(), Map.of(), null, null);
    }
    assertThat(replica.query(ServiceQuery.byName("web"))).hasSize(2);
    assertThat(replica.examinedBy(ServiceQuery.byName("web"))).isEqualTo(3);
    ServiceQuery blue = q(null, null, List.of("http", "blue"), StatusFilter.ANY, null, null, Map.of());
    assertThat(replica.query(blue)).hasSize(1);
    assertThat(replica.examinedBy(blue)).isEqualTo(1);
  }
}
