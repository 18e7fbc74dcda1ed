package io.cairn.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CairnConfigTest {

  @Test
  void theBuiltInDefaultsAreThoseOfConfCairnYaml() {
    CairnConfig cfg = CairnConfig.load(List.of(), Map.of(), null);
    assertThat(cfg.http().port()).isEqualTo(8080);
    assertThat(cfg.node().dataDir()).isEqualTo(Path.of("./data"));
    assertThat(cfg.cluster().name()).isEqualTo("cairn");
    assertThat(cfg.cluster().join()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
    assertThat(cfg.node().id()).endsWith("-8080");
  }

  @Test
  void fileThenEnvironmentThenFlagsEachOverrideTheLayerBelow(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cairn.yaml");
    Files.writeString(file, "http:\n  port: 9000\ncluster:\n  name: from-file\n  port: 6000\nnode:\n  id: file-node\n");
    CairnConfig cfg = CairnConfig.load(
        List.of("--config=" + file, "--cluster.port", "6100", "--node.id=flag-node"),
        Map.of("CAIRN_CLUSTER_NAME", "from-env", "CAIRN_CLUSTER_PORT", "6050",
            "CAIRN_CLUSTER_JOIN", "10.0.0.1:5701, 10.0.0.2:5701", "CAIRN_CLUSTER_PORT_AUTO_INCREMENT", "false"),
        null);
    assertThat(cfg.http().port()).isEqualTo(9000);
    assertThat(cfg.cluster().name()).isEqualTo("from-env");
    assertThat(cfg.cluster().port()).isEqualTo(6100);
    assertThat(cfg.cluster().portAutoIncrement()).isFalse();
    assertThat(cfg.cluster().join()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(cfg.node().id()).isEqualTo("flag-node");
  }

  @Test
  void vertxConfJsonIsALayerLikeTheFile() {
    CairnConfig cfg = CairnConfig.load(List.of(), Map.of(), new JsonObject().put("http", new JsonObject().put("port", 8181)));
    assertThat(cfg.http().port()).isEqualTo(8181);
  }

  @Test
  void unknownKeysAreRefusedRatherThanIgnored() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--http.prot=1"), Map.of(), null))
        .hasMessageContaining("http.prot");
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("htp", new JsonObject())))
        .hasMessageContaining("htp");
  }

  @Test
  void badValuesStopTheLoadAndSayWhichKeyIsWrong() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--http.port=eighty"), Map.of(), null))
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--health.ttlScanInterval=often"), Map.of(), null))
        .hasMessageContaining("health.ttlScanInterval");
  }

  @Test
  void environmentNamesSplitCamelCase() {
    assertThat(CairnConfig.envName("replication.logCapacity")).isEqualTo("CAIRN_REPLICATION_LOG_CAPACITY");
    assertThat(CairnConfig.envName("http.port")).isEqualTo("CAIRN_HTTP_PORT");
  }

  @Test
  void theApiListensOnLoopbackUnlessToldOtherwise() {
    assertThat(CairnConfig.of(null).http().host()).isEqualTo("127.0.0.1");
  }

  @Test
  void aNodeReachableFromOtherMachinesWithoutAuthenticationRefusesToStartAndNamesTheSettings() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--http.host=0.0.0.0"), Map.of(), null))
        .hasMessageContaining("http.host is 0.0.0.0").hasMessageContaining("security.tokensFile")
        .hasMessageContaining("security.allowInsecure");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--http.host=10.1.2.3"), Map.of(), null))
        .hasMessageNotContaining("\n");
    assertThat(CairnConfig.load(List.of("--http.host=0.0.0.0", "--security.allowInsecure=true"), Map.of(), null)
        .http().host()).isEqualTo("0.0.0.0");
    assertThat(CairnConfig.load(List.of("--http.host=0.0.0.0", "--security.tokensFile=/etc/cairn/tokens"), Map.of(),
        null).security().tokensFile()).isEqualTo("/etc/cairn/tokens");
    assertThat(CairnConfig.load(List.of("--http.host=localhost"), Map.of(), null).http().host()).isEqualTo("localhost");
  }

  @Test
  void aSecuredApiOverAClusterPortReachableFromOtherMachinesNeedsClusterCertificates() {
    List<String> tokensOnANetwork = List.of("--security.tokensFile=/etc/cairn/tokens", "--cluster.host=10.1.2.3");
    assertThatThrownBy(() -> CairnConfig.load(tokensOnANetwork, Map.of(), null))
        .hasMessageContaining("cluster.host is 10.1.2.3").hasMessageContaining("security.cluster.certFile")
        .hasMessageContaining("security.cluster.caFile").hasMessageContaining("security.allowInsecure")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--security.tls.certFile=/c.pem", "--security.tls.keyFile=/k.pem",
        "--cluster.host=10.1.2.3"), Map.of(), null)).hasMessageContaining("security.cluster.certFile");
    List<String> withClusterTls = new java.util.ArrayList<>(tokensOnANetwork);
    withClusterTls.addAll(List.of("--security.cluster.certFile=/n.pem", "--security.cluster.keyFile=/n-key.pem",
        "--security.cluster.caFile=/ca.pem"));
    assertThat(CairnConfig.load(withClusterTls, Map.of(), null).security().clusterTlsEnabled()).isTrue();
    List<String> accepted = new java.util.ArrayList<>(tokensOnANetwork);
    accepted.add("--security.allowInsecure=true");
    assertThat(CairnConfig.load(accepted, Map.of(), null).cluster().host()).isEqualTo("10.1.2.3");
    // Nothing secured (a development cluster on a private network) or a cluster port on loopback: as before.
    assertThat(CairnConfig.load(List.of("--cluster.host=10.1.2.3"), Map.of(), null).cluster().host()).isEqualTo("10.1.2.3");
    assertThat(CairnConfig.load(List.of("--security.tokensFile=/etc/cairn/tokens"), Map.of(), null).cluster().host())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void checkTargetsThatAreNeitherAddressesNorHostNamesAreRefusedAtStart() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--checks.allowedTargets=10.0.0.0/33"), Map.of(), null))
        .hasMessageContaining("checks.allowedTargets").hasMessageContaining("10.0.0.0/33");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--checks.allowedTargets=http://x/"), Map.of(), null))
        .hasMessageContaining("checks.allowedTargets");
    assertThat(CairnConfig.load(List.of("--checks.allowedTargets=10.0.0.0/8,*.example.org,::1"), Map.of(), null))
        .isNotNull();
  }

  @Test
  void tlsSettingsThatCannotWorkTogetherAreRefused() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--security.tls.certFile=a.pem"), Map.of(), null))
        .hasMessageContaining("security.tls.certFile and security.tls.keyFile");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--security.tls.clientAuth=required"), Map.of(), null))
        .hasMessageContaining("clientAuth required needs");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--security.tls.clientAuth=maybe"), Map.of(), null))
        .hasMessageContaining("none, optional or required");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--security.cluster.caFile=ca.pem"), Map.of(), null))
        .hasMessageContaining("security.cluster.certFile, keyFile and caFile");
  }
  @Test
  void dnsListensOn8600ForCairnUnlessToldOtherwiseAndRefusesWhatCannotWork() {
    CairnConfig defaults = CairnConfig.load(List.of(), Map.of(), null);
    assertThat(defaults.dns().port()).isEqualTo(8600);
    assertThat(defaults.dns().domain()).isEqualTo("cairn");
    assertThat(defaults.dns().ttlSeconds()).isZero();
    CairnConfig set = CairnConfig.load(List.of("--dns.domain=Consul.Example.", "--dns.ttl=1m", "--dns.port=0"),
        Map.of(), null);
    assertThat(set.dns().domain()).isEqualTo("consul.example");
    assertThat(set.dns().ttlSeconds()).isEqualTo(60);
    assertThat(set.dns().port()).isZero();
    assertThatThrownBy(() -> CairnConfig.load(List.of("--dns.domain=not a domain"), Map.of(), null))
        .hasMessageContaining("dns.domain");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--dns.ttl=1500ms"), Map.of(), null))
        .hasMessageContaining("dns.ttl");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--dns.port=70000"), Map.of(), null))
        .hasMessageContaining("dns.port");
  }

  @Test
  void loggingDefaultsToTextAtInfoWithHazelcastRatisAndVertxAtWarn() {
    CairnConfig cfg = CairnConfig.load(List.of(), Map.of(), null);
    assertThat(cfg.logging().format()).isEqualTo("text");
    assertThat(cfg.logging().level()).isEqualTo("info");
    assertThat(cfg.logging().loggers()).containsEntry("com.hazelcast", "warn").containsEntry("org.apache.ratis", "warn")
        .containsEntry("io.vertx", "warn");
  }

  @Test
  void logLevelComesFromLogLevelUnlessCairnLoggingLevelSaysOtherwise() {
    assertThat(CairnConfig.load(List.of(), Map.of("LOG_LEVEL", "debug"), null).logging().level()).isEqualTo("debug");
    assertThat(CairnConfig.load(List.of(), Map.of("LOG_LEVEL", "debug", "CAIRN_LOGGING_LEVEL", "WARN"), null).logging().level())
        .isEqualTo("warn");
    assertThat(CairnConfig.load(List.of("--logging.level=error"), Map.of("LOG_LEVEL", "debug"), null).logging().level())
        .isEqualTo("error");
  }

  @Test
  void loggerLevelsFromFileEnvironmentAndFlagsAddToTheDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cairn.yaml");
    Files.writeString(file, "logging:\n  format: json\n  loggers:\n    io.cairn.health: debug\n    com.hazelcast: info\n");
    CairnConfig cfg = CairnConfig.load(List.of("--config=" + file, "--logging.loggers=io.cairn.api=trace"),
        Map.of("CAIRN_LOGGING_LOGGERS", "org.apache.ratis=error, io.netty=info"), null);
    assertThat(cfg.logging().format()).isEqualTo("json");
    assertThat(cfg.logging().loggers()).containsEntry("io.cairn.health", "debug").containsEntry("com.hazelcast", "info")
        .containsEntry("org.apache.ratis", "error").containsEntry("io.netty", "info").containsEntry("io.cairn.api", "trace")
        .containsEntry("io.vertx", "warn");
  }

  @Test
  void aBadLogFormatOrLevelStopsTheStartWithTheKeysName() {
    assertThatThrownBy(() -> CairnConfig.load(List.of("--logging.format=xml"), Map.of(), null))
        .hasMessageContaining("logging.format");
    assertThatThrownBy(() -> CairnConfig.load(List.of(), Map.of("LOG_LEVEL", "loud"), null))
        .hasMessageContaining("logging.level");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--logging.loggers=io.cairn=chatty"), Map.of(), null))
        .hasMessageContaining("logging.loggers.io.cairn");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--logging.loggers=io.cairn"), Map.of(), null))
        .hasMessageContaining("name=level");
  }
}
