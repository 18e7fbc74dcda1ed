package io.cairn.config;

import io.cairn.model.Route;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxySettingsTest {

  @Test
  void theProxyIsOffByDefaultAndListensWhereTheApiDoes() {
    ProxySettings p = CairnConfig.of(new JsonObject()).proxy();
    assertThat(p.enabled()).isFalse();
    assertThat(p.host()).isEqualTo("127.0.0.1");
    assertThat(p.domain()).isEqualTo("cairn");
    assertThat(p.routes()).isEmpty();
    assertThat(p.consecutiveConnectFailures()).isEqualTo(3);
    assertThat(p.maxEjectionPercent()).isEqualTo(50);
  }

  @Test
  void routesOfTheFileAreReadAsTheApiReadsThem(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cairn.yaml");
    Files.writeString(file, """
        proxy:
          port: 8180
          routes:
            users:
              match: {pathPrefix: /api/users/, methods: [GET]}
              service: users
              stripPrefix: true
              timeouts: {try: 5s}
        """);
    ProxySettings p = CairnConfig.load(List.of("--config=" + file), Map.of(), null).proxy();

    assertThat(p.port()).isEqualTo(8180);
    assertThat(p.routes()).singleElement().satisfies(r -> {
      assertThat(r.id()).isEqualTo("users");
      assertThat(r.replacementPrefix()).isEqualTo("/");
      assertThat(r.timeouts().tryMillis()).isEqualTo(5000);
    });
  }

  @Test
  void aFlagGivesRoutesAsOneJsonObjectAndReplacesTheFilesRoutes() {
    ProxySettings p = CairnConfig.load(List.of("--proxy.routes={\"web\": {\"service\": \"site\"}}"), Map.of(), null)
        .proxy();
    assertThat(p.routes()).extracting(Route::id).containsExactly("web");
  }

  @Test
  void aBadRouteStopsTheStartNamingItsKey() {
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("routes",
        new JsonObject().put("users", new JsonObject().put("service", "users").put("balance", "fastest"))))))
        .hasMessageStartingWith("proxy.routes.users.balance: ");
    assertThatThrownBy(() -> CairnConfig.load(List.of("--proxy.routes=users"), Map.of(), null))
        .hasMessageStartingWith("proxy.routes is a map of route documents");
  }

  @Test
  void theGrpcPortAloneTurnsTheProxyOnAndMayNotShareTheHttpPort() {
    ProxySettings p = CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("grpcPort", 8190))).proxy();
    assertThat(p.enabled()).isTrue();
    assertThat(p.port()).isZero();
    assertThat(p.grpcPort()).isEqualTo(8190);
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("port", 8180)
        .put("grpcPort", 8180)))).hasMessageStartingWith("proxy.grpcPort must be 0 (off) or a port other than");
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("grpcPort", 8190)
        .put("host", "0.0.0.0")))).hasMessageStartingWith("proxy.host is 0.0.0.0, reachable from other machines");
  }

  @Test
  void anExposedProxyNeedsSecurityAsAnExposedApiDoes() {
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("port", 8180)
        .put("host", "0.0.0.0"))))
        .hasMessageStartingWith("proxy.host is 0.0.0.0, reachable from other machines");
    assertThat(CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("host", "0.0.0.0"))).proxy()
        .enabled()).isFalse();
  }

  @Test
  void limitsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("outlier",
        new JsonObject().put("maxEjectionPercent", 120)))))
        .hasMessageStartingWith("proxy.outlier: ");
    assertThatThrownBy(() -> CairnConfig.of(new JsonObject().put("proxy", new JsonObject().put("breaker",
        new JsonObject().put("maxConcurrentRequests", 0)))))
        .hasMessageStartingWith("proxy.breaker: ");
  }
}
