package io.cairn.api;

import io.cairn.config.CairnConfig;
import io.cairn.model.Check;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.registry.Apply;
import io.cairn.registry.Replica;
import io.cairn.security.PolicyInForce;
import io.cairn.security.Security;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What each caller sees of the catalog: a policy lets {@code viewer} read everything but vault, {@code web-reader}
 * read web only, and nobody else anything. n1 runs web-1, vault-1 and orders-1; n2 runs web-2, which is disabled.
 */
class CatalogQueriesTest {
  private static final Caller VIEWER = new Caller("viewer", "10.1.0.1");
  private static final Caller WEB_READER = new Caller("web-reader", "10.1.0.2");
  private static final Caller ANONYMOUS = Caller.anonymous("10.1.0.3");

  private final Replica replica = new Replica();
  private long revision;
  private CatalogQueries catalog;

  @BeforeEach
  void fill() {
    apply(Command.node(Command.Type.NODE_JOINED, "n1", 0, 1, 0, node("n1", "10.0.0.1")));
    apply(Command.leaderElected("n1", 0, 2, 1));
    apply(Command.node(Command.Type.NODE_JOINED, "n2", 0, 3, 0, node("n2", "10.0.0.2")));
    register("n1", "web-1", "web", "Blue", "v1");
    register("n2", "web-2", "web", "v1", "v2");
    register("n1", "vault-1", "vault", "secrets");
    register("n1", "orders-1", "orders");
    apply(Command.onInstance(Command.Type.DISABLE, "n2", 0, 10, "web-2"));

    CairnConfig secured = CairnConfig.of(new JsonObject()
        .put("security", new JsonObject().put("tokensFile", "/nonexistent/tokens")));
    Security security = PolicyInForce.security(secured,
        "p, viewer, *, read, allow",
        "p, viewer, service:vault*, read, deny",
        "p, web-reader, service:web, read, allow");
    catalog = over(new Access(secured.security(), security));
  }

  private CatalogQueries over(Access access) {
    return new CatalogQueries(replica, access, name -> replica.query(ServiceQuery.allOf(name)));
  }

  @Test
  void theServicesListedAreTheOnesTheCallerMayRead() {
    assertThat(catalog.serviceTags(VIEWER)).containsOnlyKeys("orders", "web");
    assertThat(catalog.serviceTags(VIEWER).get("web")).containsExactly("Blue", "v1", "v2");
    assertThat(catalog.serviceTags(VIEWER).get("orders")).isEmpty();
    assertThat(catalog.serviceTags(WEB_READER)).containsOnlyKeys("web");
    assertThat(catalog.serviceTags(ANONYMOUS)).isEmpty();
  }

  @Test
  void aNameTheCallerMayNotReadIsRefusedWhetherItExistsOrNot() {
    assertThat(ids(catalog.instances(WEB_READER, "web", List.of(), false))).containsExactly("web-1", "web-2");
    refused(() -> catalog.instances(WEB_READER, "vault", List.of(), false));
    refused(() -> catalog.instances(WEB_READER, "nothing", List.of(), false));
    refused(() -> catalog.instances(VIEWER, "vault", List.of(), false));
    refused(() -> catalog.instances(ANONYMOUS, "web", List.of(), false));
    assertThat(catalog.instances(VIEWER, "nothing", List.of(), false)).isEmpty();
  }

  @Test
  void listingsAcrossNamesLeaveOutWhatTheCallerMayNotRead() {
    assertThat(ids(catalog.instances(VIEWER))).containsExactlyInAnyOrder("web-1", "web-2", "orders-1");
    assertThat(ids(catalog.instances(WEB_READER))).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(catalog.instances(ANONYMOUS)).isEmpty();
    assertThat(ids(catalog.registeredThrough(VIEWER, "n1"))).containsExactlyInAnyOrder("web-1", "orders-1");
    assertThat(ids(catalog.registeredThrough(WEB_READER, "n1"))).containsExactly("web-1");
    assertThat(ids(catalog.registeredThrough(WEB_READER, "n2"))).containsExactly("web-2");
    assertThat(catalog.registeredThrough(ANONYMOUS, "n1")).isEmpty();
  }

  @Test
  void theNodesAndTheVotersNeedReadOnTheCluster() {
    assertThat(catalog.nodes(VIEWER)).extracting(NodeInfo::id).containsExactly("n1", "n2");
    assertThat(catalog.peers(VIEWER, List.of("n2", "n9", "n1"))).extracting(NodeInfo::id).containsExactly("n2", "n1");
    assertThat(catalog.nodeIdsVisibleTo(VIEWER)).containsExactlyInAnyOrder("n1", "n2");
    refused(() -> catalog.nodes(WEB_READER));
    refused(() -> catalog.peers(WEB_READER, List.of("n1")));
    // A listing across nodes and services leaves the nodes out instead of refusing.
    assertThat(catalog.nodeIdsVisibleTo(WEB_READER)).isEmpty();
    assertThat(catalog.nodeIdsVisibleTo(ANONYMOUS)).isEmpty();
  }

  @Test
  void tagsMatchWithoutRegardToCaseAndPassingKeepsInstancesThatShouldGetRequests() {
    assertThat(ids(catalog.instances(VIEWER, "web", List.of("blue"), false))).containsExactly("web-1");
    assertThat(ids(catalog.instances(VIEWER, "web", List.of("V1"), false))).containsExactly("web-1", "web-2");
    assertThat(ids(catalog.instances(VIEWER, "web", List.of(), true))).containsExactly("web-1");
    apply(Command.node(Command.Type.NODE_FAILED, "n1", 0, 11, 1, node("n1", "10.0.0.1")));
    assertThat(catalog.nodeAlive("n1")).isFalse();
    assertThat(catalog.instances(VIEWER, "web", List.of(), true)).isEmpty();
    assertThat(catalog.nodeAlive("gone")).as("a node the log does not list").isTrue();
  }

  @Test
  void aNameIsIndexedByItsLastChangeAndAtLeastTheNodesLastChange() {
    long webChanged = replica.get("web-2").revision();
    assertThat(catalog.nameIndex("web")).isEqualTo(webChanged);
    assertThat(catalog.nameIndex("nothing")).isEqualTo(replica.nodesRevision()).isPositive();
    assertThat(catalog.revision()).isEqualTo(revision);
    assertThat(catalog.leaderKnown()).isTrue();
  }

  @Test
  void onANodeWithoutSecurityEveryCallerReadsEverything() {
    CairnConfig open = CairnConfig.of(new JsonObject());
    CatalogQueries openCatalog = over(new Access(open.security(), new Security(open.security())));
    assertThat(openCatalog.serviceTags(ANONYMOUS)).containsOnlyKeys("orders", "vault", "web");
    assertThat(ids(openCatalog.instances(ANONYMOUS, "vault", List.of(), false))).containsExactly("vault-1");
    assertThat(openCatalog.nodes(ANONYMOUS)).hasSize(2);
  }

  private void apply(Command c) {
    Apply.apply(replica, c, ++revision);
  }

  private void register(String node, String id, String name, String... tags) {
    ServiceEntry def = new ServiceEntry(id, name, "1.0.0", "10.0.0.9", 80, List.of(tags), new TreeMap<>(), null, null,
        1, null, (Check) null, 0, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
    apply(Command.register(node, 0, revision + 1, def, false, Command.NO_CAS));
  }

  private static NodeInfo node(String id, String host) {
    return NodeInfo.announce(id, id, "member-" + id, host, 8080, host + ":8080", host + ":9080", "", "", "dev",
        List.of(), 0);
  }

  private static List<String> ids(List<ServiceEntry> entries) {
    return entries.stream().map(ServiceEntry::id).toList();
  }

  private static void refused(Executable read) {
    assertThat(assertThrows(ApiException.class, read).status()).isEqualTo(403);
  }
}
