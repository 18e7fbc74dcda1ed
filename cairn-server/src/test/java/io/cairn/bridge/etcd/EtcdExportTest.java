package io.cairn.bridge.etcd;

import io.cairn.bridge.Change;
import io.cairn.bridge.FencedOut;
import io.cairn.config.BridgeSettings;
import io.cairn.config.BridgeSettings.EtcdConnection;
import io.cairn.config.BridgeSettings.Format;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Event;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Fixtures;
import io.cairn.registry.Snapshot;
import io.cairn.support.EtcdServer.Entry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdExport} against a real etcd, fed snapshots and changes as the mirror bridge would: the fence, the
 * transactions' limits, re-registrations, reconcile, the lease, loop prevention and Proxy-Stone's shape. Each test
 * writes under a prefix of its own.
 */
class EtcdExportTest extends AgainstEtcd {
  private final List<EtcdExport> opened = new ArrayList<>();
  private long revision;

  @AfterEach
  void closeTargets() {
    opened.forEach(t -> loop.await(t::close));
  }

  private static BridgeSettings.Etcd settings(String prefix, Format format, long leaseTtl) {
    return new BridgeSettings.Etcd("out", BridgeSettings.Type.ETCD_EXPORT, new EtcdConnection(
        List.of(URI.create(etcd.endpoint())), "", "", "", "", ""), prefix, format, leaseTtl);
  }

  private EtcdExport export(String prefix) {
    return export(settings(prefix, Format.CAIRN, 10_000), List.of());
  }

  private EtcdExport export(BridgeSettings.Etcd settings, List<BridgeSettings.Bridge> others) {
    List<BridgeSettings.Bridge> bridges = new ArrayList<>(others);
    bridges.add(settings);
    EtcdExport target = new EtcdExport(loop.vertx(), settings, bridges);
    opened.add(target);
    return target;
  }

  private static String open(EtcdExport target, long term) {
    return loop.await(() -> target.open(term));
  }

  private static void write(EtcdExport target, List<Change> changes) {
    loop.await(() -> target.write(changes));
  }

  private static ServiceEntry instance(String id, String name, Health health) {
    return Fixtures.definition(id, name).withState(health, true, false, null, 0, 0, 1);
  }

  /** Each change a revision of its own. */
  private List<Change> changes(Event.Type type, Collection<ServiceEntry> entries) {
    List<Change> changes = new ArrayList<>();
    for (ServiceEntry e : entries) {
      revision++;
      changes.add(new Change(Event.service(type, revision, 0, e), Long.toString(revision)));
    }
    return changes;
  }

  private List<Change> registered(ServiceEntry... entries) {
    return changes(Event.Type.SERVICE_REGISTERED, List.of(entries));
  }

  private Snapshot snapshot(Collection<ServiceEntry> entries) {
    return new Snapshot(++revision, 1, "n1", 0, List.copyOf(entries), List.of());
  }

  private static Map<String, Entry> services(String prefix) {
    return etcd.entries(prefix + "/services/");
  }

  private static String bookkeeping(String prefix, String key) {
    Entry e = etcd.entries(prefix + "/_cairn/" + key).get(prefix + "/_cairn/" + key);
    return e == null ? null : e.value();
  }

  @Test
  void theFenceIsTakenByTheNewestTermAndAnOlderOneIsRefusedItsNextWrite() {
    EtcdExport older = export("fence");
    assertThat(open(older, 5)).as("no position in an empty prefix").isNull();
    assertThat(etcd.entries("fence/_cairn/term").get("fence/_cairn/term"))
        .as("the fence outlives every lease").returns(EtcdExport.fence(5), Entry::value).returns(0L, Entry::lease);
    write(older, registered(instance("a", "web", Health.HEALTHY)));

    EtcdExport newer = export("fence");
    open(newer, 7);
    assertThat(bookkeeping("fence", "term")).isEqualTo("00000000000000000007");
    Entry before = services("fence").get("fence/services/web/a");
    Throwable refused = loop.failure(() -> older.write(registered(instance("a", "web", Health.UNHEALTHY))));
    assertThat(refused).isInstanceOf(FencedOut.class).hasMessageContaining("held by term 7");
    assertThat(services("fence").get("fence/services/web/a")).as("a refused write changes nothing").isEqualTo(before);
    assertThat(before.json().getLong("term")).isEqualTo(5);

    write(newer, registered(instance("a", "web", Health.UNHEALTHY)));
    JsonObject written = services("fence").get("fence/services/web/a").json();
    assertThat(List.of(written.getLong("term"), written.getString("health"), written.getString("bridge")))
        .containsExactly(7L, "unhealthy", "out");

    assertThat(loop.failure(() -> export("fence").open(6))).isInstanceOf(FencedOut.class);
    assertThat(open(export("fence"), 7)).as("the same term takes it again").isNotNull();
  }

  @Test
  void aThousandInstancesGoInTransactionsOfAtMost127KeysEachInstanceOnceATransaction() {
    EtcdExport target = export("bulk");
    open(target, 1);
    List<ServiceEntry> thousand = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      thousand.add(instance(String.format("i%04d", i), "svc" + (i % 7), Health.UNKNOWN));
    }
    loop.await(() -> target.reconcile(snapshot(thousand)));
    assertThat(services("bulk")).hasSize(1_000);
    assertThat(bookkeeping("bulk", "revision")).isEqualTo(Long.toString(revision));

    // Each instance twice in a row in one write: unhealthy, then healthy. Only the last state goes, once.
    List<ServiceEntry> twice = new ArrayList<>();
    for (ServiceEntry e : thousand) {
      twice.add(e.withHealth(Health.UNHEALTHY, null, 0, 2));
      twice.add(e.withHealth(Health.HEALTHY, null, 0, 3));
    }
    write(target, changes(Event.Type.SERVICE_HEALTH_CHANGED, twice));
    Map<String, Entry> after = services("bulk");
    assertThat(after.values()).allSatisfy(e -> {
      assertThat(e.json().getString("health")).isEqualTo("healthy");
      assertThat(e.version()).as("written by the reconcile, then once").isEqualTo(2);
    });
    Map<Long, Long> keysPerTransaction = after.values().stream()
        .collect(Collectors.groupingBy(Entry::modRevision, TreeMap::new, Collectors.counting()));
    assertThat(keysPerTransaction).as("1,000 keys in 8 transactions of at most 127").hasSize(8);
    assertThat(keysPerTransaction.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(127));
    assertThat(bookkeeping("bulk", "revision")).isEqualTo(Long.toString(revision));

    write(target, changes(Event.Type.SERVICE_DEREGISTERED, thousand));
    assertThat(services("bulk")).isEmpty();
  }

  @Test
  void anInstanceRegisteredUnderAnotherNameLeavesItsOldKey() {
    EtcdExport target = export("rename");
    open(target, 1);
    write(target, registered(instance("a", "web", Health.HEALTHY), instance("b", "web", Health.HEALTHY)));
    write(target, registered(instance("a", "api", Health.HEALTHY)));
    assertThat(services("rename")).containsOnlyKeys("rename/services/api/a", "rename/services/web/b");
    // Within one write: b moves twice and ends where it started; nothing is put twice in one transaction.
    write(target, registered(instance("b", "api", Health.HEALTHY), instance("b", "db", Health.HEALTHY),
        instance("b", "web", Health.HEALTHY)));
    assertThat(services("rename")).containsOnlyKeys("rename/services/api/a", "rename/services/web/b");
    write(target, changes(Event.Type.SERVICE_DEREGISTERED, List.of(instance("a", "api", Health.HEALTHY))));
    assertThat(services("rename")).containsOnlyKeys("rename/services/web/b");
  }

  @Test
  void reconcileDeletesStraysOfItsOwnLeavesOthersAndRewritesNothingEqual() {
    EtcdExport first = export("reconcile");
    open(first, 3);
    ServiceEntry same = instance("same", "web", Health.HEALTHY);
    ServiceEntry changed = instance("changed", "web", Health.HEALTHY);
    write(first, registered(same, changed, instance("stray", "web", Health.HEALTHY)));
    etcd.etcdctl("put", "reconcile/services/web/foreign", "{\"id\":\"foreign\",\"name\":\"web\"}");
    loop.await(first::close);
    Map<String, Entry> before = services("reconcile");

    EtcdExport second = export("reconcile");
    assertThat(open(second, 4)).as("the lease lives: the position with it").isEqualTo(Long.toString(revision));
    loop.await(() -> second.reconcile(snapshot(List.of(same, changed.withHealth(Health.UNHEALTHY, null, 0, 9),
        instance("new", "api", Health.HEALTHY)))));

    Map<String, Entry> after = services("reconcile");
    assertThat(after).containsOnlyKeys("reconcile/services/web/same", "reconcile/services/web/changed",
        "reconcile/services/api/new", "reconcile/services/web/foreign");
    assertThat(after.get("reconcile/services/web/same")).as("equal but for the term: left as it was")
        .isEqualTo(before.get("reconcile/services/web/same"));
    assertThat(after.get("reconcile/services/web/same").json().getLong("term")).isEqualTo(3);
    assertThat(after.get("reconcile/services/web/changed").json().getLong("term")).isEqualTo(4);
    assertThat(after.get("reconcile/services/web/foreign")).isEqualTo(before.get("reconcile/services/web/foreign"));
    assertThat(bookkeeping("reconcile", "revision")).isEqualTo(Long.toString(revision));
  }

  @Test
  void reopeningKeepsTheLeaseThatIsStillAlive() {
    EtcdExport first = export("reuse");
    open(first, 1);
    write(first, registered(instance("a", "web", Health.HEALTHY)));
    String lease = bookkeeping("reuse", "lease");
    loop.await(first::close);

    EtcdExport second = export("reuse");
    assertThat(open(second, 2)).isEqualTo(Long.toString(revision));
    assertThat(bookkeeping("reuse", "lease")).isEqualTo(lease);
    write(second, registered(instance("b", "web", Health.HEALTHY)));
    assertThat(services("reuse").values()).extracting(Entry::lease).containsOnly(Long.parseLong(lease));
  }

  @Test
  void keysExpireWithTheLeaseWhenNobodyKeepsItAliveAndTheNextOpenReconciles() {
    EtcdExport first = export(settings("expire", Format.CAIRN, 2_000), List.of());
    open(first, 1);
    write(first, registered(instance("a", "web", Health.HEALTHY)));
    loop.await(first::close);
    long closedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(15)).until(() -> etcd.entries("expire/services/").isEmpty());
    System.out.printf("etcd export: keys gone %d ms after the export closed (lease TTL 2 s)%n",
        (System.nanoTime() - closedAt) / 1_000_000);
    assertThat(bookkeeping("expire", "revision")).isNull();
    assertThat(bookkeeping("expire", "term")).as("the fence is under no lease").isNotNull();
    assertThat(open(export(settings("expire", Format.CAIRN, 2_000), List.of()), 2)).isNull();
  }

  @Test
  void aLeaseLostMidSessionBreaksTheSession() {
    EtcdExport target = export("lost");
    open(target, 1);
    List<Throwable> broken = new CopyOnWriteArrayList<>();
    loop.run(() -> target.whenBroken(broken::add));
    write(target, registered(instance("a", "web", Health.HEALTHY)));
    etcd.etcdctl("lease", "revoke", Long.toHexString(Long.parseLong(bookkeeping("lost", "lease"))));
    await().atMost(Duration.ofSeconds(10)).until(() -> !broken.isEmpty());
    assertThat(loop.failure(() -> target.write(registered(instance("b", "web", Health.HEALTHY)))))
        .isSameAs(broken.get(0));

    EtcdExport next = export("lost");
    assertThat(open(next, 1)).as("no position: the keys went with the lease").isNull();
    loop.await(() -> next.reconcile(snapshot(List.of(instance("a", "web", Health.HEALTHY)))));
    assertThat(services("lost")).containsOnlyKeys("lost/services/web/a");
  }

  @Test
  void anInstanceAnImportBroughtFromTheSamePrefixIsNeverExportedBack() {
    BridgeSettings.Etcd out = settings("loop", Format.CAIRN, 10_000);
    BridgeSettings.Etcd in = new BridgeSettings.Etcd("in", BridgeSettings.Type.ETCD_IMPORT, out.connection(), "loop",
        Format.CAIRN, 0);
    EtcdExport target = export(out, List.of(in));
    open(target, 1);
    ServiceEntry imported = Fixtures.definition("x", "web");
    imported.metadata().put("source", "etcd:in");
    ServiceEntry own = instance("y", "web", Health.HEALTHY);
    write(target, registered(imported, own));
    loop.await(() -> target.reconcile(snapshot(List.of(imported, own))));
    assertThat(services("loop")).containsOnlyKeys("loop/services/web/y");
  }

  @Test
  void proxyStoneFormatWritesItsOwnDocumentUnderTheId() {
    EtcdExport target = export(settings("ps", Format.PROXY_STONE, 10_000), List.of());
    open(target, 2);
    ServiceEntry base = Fixtures.definition("a", "web");
    List<ServiceEntry> states = List.of(
        base.withState(Health.HEALTHY, true, false, null, 0, 0, 1),
        rename(base, "b").withState(Health.DEGRADED, true, false, new CheckOutcome(1234, Health.DEGRADED, "429", 3,
            "n1"), 0, 0, 1),
        rename(base, "c").withState(Health.UNHEALTHY, true, false, null, 0, 0, 1),
        rename(base, "d").withState(Health.UNKNOWN, true, false, null, 0, 0, 1),
        rename(base, "e").withState(Health.HEALTHY, true, true, null, 0, 0, 1),
        rename(base, "f").withState(Health.HEALTHY, false, false, null, 0, 0, 1));
    write(target, registered(states.toArray(ServiceEntry[]::new)));

    Map<String, JsonObject> docs = services("ps").entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().json()));
    assertThat(docs).containsOnlyKeys("ps/services/a", "ps/services/b", "ps/services/c", "ps/services/d",
        "ps/services/e", "ps/services/f");
    Function<String, String> status = id -> docs.get("ps/services/" + id).getString("status");
    assertThat(List.of("a", "b", "c", "d", "e", "f").stream().map(status).toList())
        .containsExactly("healthy", "healthy", "unhealthy", "starting", "draining", "stopped");
    assertThat(docs.get("ps/services/b")).isEqualTo(new JsonObject().put("id", "b").put("name", "web")
        .put("host", "10.0.0.1").put("port", 8080).put("status", "healthy").put("version", "1.0.0")
        .put("tags", new JsonArray()).put("health", new JsonObject().put("status", "healthy").put("lastCheck", 1234))
        .put("term", 2).put("bridge", "out"));
    assertThat(docs.get("ps/services/a").getJsonObject("health").containsKey("lastCheck")).isFalse();
  }

  private static ServiceEntry rename(ServiceEntry e, String id) {
    return new ServiceEntry(id, e.name(), e.version(), e.address(), e.port(), e.tags(), e.metadata(), e.region(),
        e.zone(), e.weight(), e.node(), e.check(), e.ttlMillis(), e.health(), e.enabled(), e.draining(),
        e.registeredAt(), e.lastCheck(), e.lastHeartbeat(), e.healthSince(), e.healthReason(), e.revision());
  }
}
