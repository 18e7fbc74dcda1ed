package io.cairn.api;

import io.cairn.model.Check;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.registry.Apply;
import io.cairn.registry.Replica;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class QueryCacheTest {
  private final Replica replica = new Replica();
  private final QueryCache cache = new QueryCache(replica, 100);
  private long revision;

  private void register(String id, String name) {
    ServiceEntry def = new ServiceEntry(id, name, "1.0.0", "10.0.0.1", 80, List.of(), new TreeMap<>(), null, null, 1,
        null, (Check) null, 0, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
    Apply.apply(replica, Command.register("n1", 0, 1, def, false, Command.NO_CAS), ++revision);
  }

  private void deregister(String id) {
    Apply.apply(replica, Command.onInstance(Command.Type.DEREGISTER, "n1", 0, 1, id), ++revision);
  }

  /** What a client gets for ?name=...: the cached answer when valid, else a fresh one (then cached). */
  private List<String> discover(String name) {
    String raw = "name=" + name;
    QueryCache.Answer answer = cache.lookup(raw);
    if (answer == null) {
      answer = cache.compute(raw, ServiceQuery.byName(name));
    }
    return new JsonArray(answer.services()).stream().map(o -> ((io.vertx.core.json.JsonObject) o).getString("id")).toList();
  }

  @Test
  void anAnswerStaysCachedWhileOtherServicesChange() {
    register("web-1", "web");
    assertThat(discover("web")).containsExactly("web-1");
    long hits = cache.hits();
    register("db-1", "db");
    deregister("db-1");
    assertThat(discover("web")).containsExactly("web-1");
    assertThat(cache.hits()).isEqualTo(hits + 1);
  }

  @Test
  void anAnswerIsRecomputedAsSoonAsItsServiceChanges() {
    register("web-1", "web");
    assertThat(discover("web")).containsExactly("web-1");
    register("web-2", "web");
    assertThat(discover("web")).containsExactly("web-1", "web-2");
    deregister("web-1");
    assertThat(discover("web")).containsExactly("web-2");
  }

  @Test
  void aServiceThatComesAndGoesIsNeverAnsweredFromAStaleEntry() {
    assertThat(discover("web")).isEmpty();
    register("web-1", "web");
    assertThat(discover("web")).containsExactly("web-1");
    deregister("web-1");
    assertThat(discover("web")).isEmpty();
    register("web-2", "web");
    assertThat(discover("web")).containsExactly("web-2");
    deregister("web-2");
    assertThat(discover("web")).isEmpty();
  }

  @Test
  void loadingASnapshotInvalidatesEveryCachedAnswer() {
    register("web-1", "web");
    assertThat(discover("web")).containsExactly("web-1");
    assertThat(discover("db")).isEmpty();
    Replica other = new Replica();
    long otherRevision = 0;
    for (String[] instance : new String[][] {{"web-2", "web"}, {"db-1", "db"}, {"x", "x"}, {"y", "y"}}) {
      ServiceEntry def = new ServiceEntry(instance[0], instance[1], "1.0.0", "10.0.0.1", 80, List.of(), new TreeMap<>(),
          null, null, 1, null, (Check) null, 0, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
      Apply.apply(other, Command.register("n2", 0, 1, def, false, Command.NO_CAS), ++otherRevision);
    }
    replica.load(other.snapshot());
    assertThat(discover("web")).containsExactly("web-2");
    assertThat(discover("db")).containsExactly("db-1");
  }

  @Test
  void aCachedEmptyAnswerForAnAbsentNameDoesNotSurviveAnotherNameGoing() {
    // The race it guards: an answer computed while "web" was absent must not stay valid once names come and go.
    assertThat(discover("web")).isEmpty();
    long before = replica.revisionFor(ServiceQuery.byName("web"));
    register("db-1", "db");
    deregister("db-1");
    assertThat(replica.revisionFor(ServiceQuery.byName("web"))).isNotEqualTo(before);
  }
}
