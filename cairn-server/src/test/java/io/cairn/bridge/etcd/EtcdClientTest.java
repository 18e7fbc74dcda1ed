package io.cairn.bridge.etcd;

import io.cairn.config.BridgeSettings.EtcdConnection;
import io.cairn.support.Certificates;
import io.cairn.support.EtcdServer;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link EtcdClient} against a real etcd: what the etcd bridges rely on, call by call. */
class EtcdClientTest extends AgainstEtcd {
  private static EtcdConnection plain(String... endpoints) {
    return new EtcdConnection(List.of(endpoints).stream().map(URI::create).toList(), "", "", "", "", "");
  }

  private static EtcdClient connected(EtcdConnection connection) {
    EtcdClient client = new EtcdClient(loop.vertx(), connection);
    loop.await(client::connect);
    return client;
  }

  private static void put(EtcdClient client, String key, String value, long lease) {
    loop.await(() -> client.txn(TxnRequest.newBuilder().addSuccess(EtcdOps.put(key, value, lease)).build()));
  }

  /** A new lease of {@code ttl} seconds, and {@code key} under it. */
  private static long leasedKey(EtcdClient client, String key, long ttl) {
    long lease = loop.await(() -> client.leaseGrant(ttl));
    put(client, key, "v", lease);
    return lease;
  }

  @Test
  void anUnreachableEndpointIsNamedWithWhatWentWrong() {
    String dead = "http://127.0.0.1:" + TestNodes.freePort();
    EtcdClient client = new EtcdClient(loop.vertx(), plain(dead));
    Throwable failure = loop.failure(client::connect);
    assertThat(failure).isInstanceOf(EtcdException.class)
        .hasMessage("etcd " + dead + " unreachable: Connection refused");
    loop.await(client::close);
  }

  @Test
  void connectTakesTheFirstEndpointThatAnswers() {
    String dead = "http://127.0.0.1:" + TestNodes.freePort();
    EtcdClient client = connected(plain(dead, etcd.endpoint()));
    assertThat(client.endpoint()).isEqualTo(etcd.endpoint());
    loop.await(client::close);
  }

  @Test
  void aRangeIsReadInPagesAtTheRevisionOfTheFirstPage() {
    EtcdClient client = connected(plain(etcd.endpoint()));
    for (int batch = 0; batch < 25; batch++) {
      TxnRequest.Builder txn = TxnRequest.newBuilder();
      for (int i = 0; i < 100; i++) {
        txn.addSuccess(EtcdOps.put(String.format("paged/k%05d", batch * 100 + i), "v", 0));
      }
      loop.await(() -> client.txn(txn.build()));
    }
    // A key that sorts after every page, put while the listing is read: the listing has it exactly when its
    // revision is at or after the put's.
    AtomicReference<CompletableFuture<TxnResponse>> put = new AtomicReference<>();
    EtcdClient.Listing listing = loop.await(() -> {
      put.set(client.txn(TxnRequest.newBuilder().addSuccess(EtcdOps.put("paged/zzz", "late", 0)).build())
          .toCompletionStage().toCompletableFuture());
      return client.range("paged/");
    });
    long putAt = put.get().join().getHeader().getRevision();
    boolean hasLate = listing.kvs().stream().anyMatch(kv -> kv.getKey().toStringUtf8().equals("paged/zzz"));
    assertThat(listing.kvs()).hasSize(hasLate ? 2_501 : 2_500);
    assertThat(hasLate).as("listing at %d, late put at %d", listing.revision(), putAt)
        .isEqualTo(listing.revision() >= putAt);
    assertThat(listing.kvs().get(0).getKey().toStringUtf8()).isEqualTo("paged/k00000");
    loop.await(client::close);
  }

  @Test
  void aLeaseKeptAliveOutlivesItsTtlAndItsLossIsReported() {
    EtcdClient client = connected(plain(etcd.endpoint()));
    long lease = leasedKey(client, "leased/a", 2);
    List<Throwable> lost = new CopyOnWriteArrayList<>();
    LeaseKeepAlive keepAlive = loop.await(() -> client.keepAlive(lease, 2, lost::add));
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8))
        .until(() -> etcd.entries("leased/").containsKey("leased/a"));
    assertThat(loop.await(() -> client.leaseTimeToLive(lease)).getTTL()).isPositive();

    etcd.etcdctl("lease", "revoke", Long.toHexString(lease));
    await().atMost(Duration.ofSeconds(10)).until(() -> !lost.isEmpty());
    assertThat(lost.get(0)).hasMessageContaining("lease " + lease);
    assertThat(loop.await(() -> client.leaseTimeToLive(lease)).getTTL()).isLessThanOrEqualTo(0);
    assertThat(etcd.entries("leased/")).isEmpty();
    loop.run(keepAlive::stop);
    loop.await(client::close);
  }

  @Test
  void aRevokedLeaseIsGoneWithItsKeys() {
    EtcdClient client = connected(plain(etcd.endpoint()));
    long lease = leasedKey(client, "revoked/a", 30);
    loop.await(() -> client.leaseRevoke(lease));
    assertThat(etcd.entries("revoked/")).isEmpty();
    assertThat(loop.await(() -> client.leaseTimeToLive(lease)).getTTL()).isLessThanOrEqualTo(0);
    loop.await(client::close);
  }

  @Test
  void aWatchDeliversChangesAndProgressAndEndsWithTheCompactRevision() {
    EtcdClient client = connected(plain(etcd.endpoint()));
    List<EtcdWatch.Events> seen = new CopyOnWriteArrayList<>();
    List<Throwable> ended = new CopyOnWriteArrayList<>();
    EtcdWatch watch = loop.await(() -> client.watch("watched/", 0, seen::add, ended::add));
    etcd.etcdctl("put", "watched/a", "1");
    etcd.etcdctl("put", "other/b", "2");
    etcd.etcdctl("del", "watched/a");
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().mapToInt(e -> e.events().size()).sum() == 2);
    List<String> changes = new ArrayList<>();
    seen.forEach(e -> e.events().forEach(ev -> changes.add(ev.getType() + " " + ev.getKv().getKey().toStringUtf8())));
    assertThat(changes).containsExactly("PUT watched/a", "DELETE watched/a");
    // etcd runs with a progress notification each second
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(EtcdWatch.Events::progress));
    loop.run(watch::cancel);

    long compactedAt = seen.get(seen.size() - 1).revision();
    etcd.etcdctl("compact", Long.toString(compactedAt));
    List<Throwable> tooOld = new CopyOnWriteArrayList<>();
    // etcd may refuse it at once (the future fails) or create it and cancel it (onEnd): the same either way
    loop.run(() -> client.watch("watched/", 1, e -> { }, tooOld::add).onFailure(tooOld::add));
    await().atMost(Duration.ofSeconds(10)).until(() -> !tooOld.isEmpty());
    assertThat(tooOld.get(0)).isInstanceOf(EtcdCompacted.class);
    assertThat(((EtcdCompacted) tooOld.get(0)).compactRevision()).isEqualTo(compactedAt);
    assertThat(ended).isEmpty();
    loop.await(client::close);
  }

  @Test
  void withAUserEveryCallCarriesATokenRenewedWhenEtcdForgetsIt() {
    try (EtcdServer secured = EtcdServer.start()) {
      secured.etcdctl("user", "add", "root", "--new-user-password=s3cret");
      secured.etcdctl("auth", "enable");
      EtcdConnection connection = new EtcdConnection(List.of(URI.create(secured.endpoint())), "root", "s3cret", "",
          "", "");
      EtcdClient client = connected(connection);
      put(client, "auth/a", "1", 0);
      // Disabling and enabling authentication drops every token etcd handed out.
      secured.etcdctl("--user=root:s3cret", "auth", "disable");
      secured.etcdctl("--user=root:s3cret", "auth", "enable");
      EtcdClient.Listing listing = loop.await(() -> client.range("auth/"));
      assertThat(listing.kvs()).hasSize(1);

      EtcdClient wrong = new EtcdClient(loop.vertx(), new EtcdConnection(connection.endpoints(), "root", "nope", "",
          "", ""));
      assertThat(loop.failure(wrong::connect)).hasMessageStartingWith("etcd " + secured.endpoint() + " refused "
          + "Authenticate: ");
      loop.await(wrong::close);
      loop.await(client::close);
    }
  }

  @Test
  void overTlsItPresentsItsClientCertificate() {
    Path certs = Certificates.make("client");
    try (EtcdServer secured = EtcdServer.start(certs)) {
      EtcdClient client = connected(new EtcdConnection(List.of(URI.create(secured.endpoint())), "", "",
          certs.resolve("ca.pem").toString(), certs.resolve("client.pem").toString(),
          certs.resolve("client-key.pem").toString()));
      put(client, "tls/a", "1", 0);
      assertThat(secured.entries("tls/")).containsKey("tls/a");
      loop.await(client::close);

      EtcdClient anonymous = new EtcdClient(loop.vertx(), new EtcdConnection(List.of(URI.create(secured.endpoint())),
          "", "", certs.resolve("ca.pem").toString(), "", ""));
      assertThat(loop.failure(anonymous::connect)).hasMessageStartingWith("etcd " + secured.endpoint() + " ");
      loop.await(anonymous::close);
    } finally {
      TempDirs.delete(certs);
    }
  }

  @Test
  void aFailedComparisonIsAnAnswerNotAFailure() {
    EtcdClient client = connected(plain(etcd.endpoint()));
    TxnResponse answer = loop.await(() -> client.txn(TxnRequest.newBuilder()
        .addCompare(EtcdOps.valueEquals("cmp/missing", "x")).addSuccess(EtcdOps.put("cmp/a", "1", 0))
        .addFailure(EtcdOps.get("cmp/missing")).build()));
    assertThat(answer.getSucceeded()).isFalse();
    assertThat(etcd.entries("cmp/")).isEmpty();
    loop.await(client::close);
  }
}
