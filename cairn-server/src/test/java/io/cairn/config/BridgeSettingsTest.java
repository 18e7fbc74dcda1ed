package io.cairn.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bridges list: every way to give it, and every mistake refused at start with the entry and key named. */
class BridgeSettingsTest {

  private static CairnConfig withBridges(Object bridges) {
    return CairnConfig.of(new JsonObject().put("bridges", bridges));
  }

  private static JsonObject etcdExport() {
    return new JsonObject().put("type", "etcd-export").put("id", "to-etcd")
        .put("endpoints", new JsonArray().add("http://127.0.0.1:2379")).put("prefix", "/cairn/");
  }

  @Test
  void noBridgesByDefault() {
    assertThat(CairnConfig.load(List.of(), Map.of(), null).bridges()).isEmpty();
  }

  @Test
  void eachTypeWithItsDefaults() {
    List<BridgeSettings.Bridge> bridges = withBridges(new JsonArray()
        .add(etcdExport())
        .add(new JsonObject().put("type", "etcd-import").put("id", "from-etcd").put("endpoints", "127.0.0.1:2379, h2")
            .put("prefix", "proxy-stone").put("format", "proxy-stone"))
        .add(new JsonObject().put("type", "redis").put("id", "cache").put("endpoint", "127.0.0.1")
            .put("password", "p"))).bridges();
    BridgeSettings.Etcd export = (BridgeSettings.Etcd) bridges.get(0);
    assertThat(export.prefix()).isEqualTo("/cairn");
    assertThat(export.format()).isEqualTo(BridgeSettings.Format.CAIRN);
    assertThat(export.leaseTtl()).isEqualTo(10_000);
    BridgeSettings.Etcd imp = (BridgeSettings.Etcd) bridges.get(1);
    assertThat(imp.type()).isEqualTo(BridgeSettings.Type.ETCD_IMPORT);
    assertThat(imp.connection().endpoints()).extracting(Object::toString)
        .containsExactly("http://127.0.0.1:2379", "http://h2:2379");
    assertThat(imp.format()).isEqualTo(BridgeSettings.Format.PROXY_STONE);
    BridgeSettings.Redis redis = (BridgeSettings.Redis) bridges.get(2);
    assertThat(redis.endpoint().toString()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(redis.channel()).isEqualTo("cairn.events");
    assertThat(redis.keyPrefix()).isEqualTo("cairn");
    assertThat(redis.tls()).isFalse();
  }

  @Test
  void asJsonInAnEnvironmentVariableOrAFlag() {
    String json = new JsonArray().add(etcdExport()).encode();
    assertThat(CairnConfig.load(List.of(), Map.of("CAIRN_BRIDGES", json), null).bridges()).hasSize(1);
    assertThat(CairnConfig.load(List.of("--bridges=" + json), Map.of(), null).bridges()).hasSize(1);
    assertThatThrownBy(() -> CairnConfig.load(List.of("--bridges={oops"), Map.of(), null))
        .hasMessageContaining("bridges is a list of bridges");
  }

  @Test
  void mistakesNameTheEntryAndKey() {
    assertRefused(new JsonObject().put("type", "zookeeper").put("id", "z"),
        "bridges[0] (z).type: etcd-export, etcd-import or redis, not 'zookeeper'");
    assertRefused(etcdExport().put("endpoints", new JsonArray()), "bridges[0] (to-etcd).endpoints is missing");
    assertRefused(new JsonObject().put("type", "redis").put("id", "r"), "bridges[0] (r).endpoint is missing");
    assertRefused(etcdExport().put("endpoints", "ftp://x"), "bridges[0] (to-etcd).endpoints: a URL like http://");
    assertRefused(etcdExport().put("prefx", "/a"), "unknown key bridges[0] (to-etcd).prefx");
    assertRefused(etcdExport().put("format", "xml"), "bridges[0] (to-etcd).format: cairn or proxy-stone");
    assertRefused(etcdExport().put("user", "u"), "bridges[0] (to-etcd).password is missing");
    assertRefused(etcdExport().put("ca", "/no/such/ca.pem"), "bridges[0] (to-etcd).ca: cannot read");
    assertRefused(etcdExport().put("leaseTtl", "1s"), "leaseTtl: whole seconds, at least 2s");
    assertRefused(etcdExport().put("id", "Bad Id"), "bridges[0] (Bad Id).id: lower-case letters");
    assertThatThrownBy(() -> withBridges(new JsonArray().add(etcdExport()).add(etcdExport())))
        .hasMessageContaining("bridges[1] (to-etcd).id: another bridge has the id 'to-etcd'");
  }

  @Test
  void tlsNeedsHttpsAndReadableFiles() throws Exception {
    Path ca = Files.createTempFile("bridge-ca", ".pem");
    try {
      BridgeSettings.Etcd tls = (BridgeSettings.Etcd) withBridges(new JsonArray().add(etcdExport()
          .put("endpoints", "https://127.0.0.1:2379").put("ca", ca.toString()))).bridges().get(0);
      assertThat(tls.connection().tls()).isTrue();
      assertRefused(etcdExport().put("ca", ca.toString()), "ca, cert and key are for https endpoints");
      assertRefused(new JsonObject().put("type", "redis").put("id", "r").put("endpoint", "redis://h:1")
          .put("ca", ca.toString()), "bridges[0] (r).ca is for a rediss:// (TLS) endpoint");
    } finally {
      Files.delete(ca);
    }
  }

  private static void assertRefused(JsonObject entry, String message) {
    assertThatThrownBy(() -> withBridges(new JsonArray().add(entry)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }
}
