package io.cairn.health;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An http check reaches its own instance: one whose url names another host is refused (400, naming
 * checks.allowedTargets) through REST, the bulk registration and the Consul API, until the operator lists that host.
 * Nothing leaves loopback: the instance is at 127.0.0.2, the other host is 127.0.0.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckTargetsApiTest {
  private TestNodes strictNodes;
  private TestNodes listingNodes;
  private String strict;
  private String listing;

  @BeforeAll
  void start() {
    strictNodes = new TestNodes(1);
    strict = strictNodes.start(0).base();
    listingNodes = new TestNodes(1);
    listing = listingNodes.start(0, new JsonObject().put("checks", new JsonObject()
        .put("allowedTargets", new JsonArray().add("127.0.0.1/32")))).base();
  }

  @AfterAll
  void stop() {
    strictNodes.close();
    listingNodes.close();
  }

  private static String instance(String id, String checkUrl) {
    return new JsonObject().put("id", id).put("name", "targets").put("address", "127.0.0.2").put("port", 18080)
        .put("check", new JsonObject().put("type", "http").put("url", checkUrl).put("interval", "1h")).encode();
  }

  @Test
  void aCheckUrlNamingAnotherHostIsRefusedUntilTheAllowListHoldsIt() {
    String otherHost = "http://127.0.0.1:18080/health";
    Http.Response refused = Http.put(strict + "/v1/services/t-1", instance("t-1", otherHost));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().getString("error")).isEqualTo("check_target_not_allowed");
    assertThat(refused.json().getString("field")).isEqualTo("check.url");
    assertThat(refused.json().getString("message")).contains("127.0.0.1:18080").contains("checks.allowedTargets");
    assertThat(Http.get(strict + "/v1/services/t-1").status()).as("nothing registered").isEqualTo(404);

    JsonArray bulk = new JsonArray().add(new JsonObject(instance("t-2", otherHost)))
        .add(new JsonObject(instance("t-3", "http://127.0.0.2:18080/health")));
    JsonObject results = Http.post(strict + "/v1/services:bulk", bulk.encode()).json();
    assertThat(results.getJsonArray("results").getJsonObject(0).getString("error"))
        .isEqualTo("check_target_not_allowed");
    assertThat(results.getJsonArray("results").getJsonObject(1).getInteger("status")).isEqualTo(201);

    assertThat(Http.put(listing + "/v1/services/t-1", instance("t-1", otherHost)).status())
        .isIn(200, 201);
    assertThat(Http.put(strict + "/v1/services/t-4", instance("t-4", "http://127.0.0.2:18080/health"))
        .status()).as("the instance's own address and port").isIn(200, 201);
  }

  @Test
  void theConsulApisHttpFieldIsHeldToTheSameRule() {
    String refused = new JsonObject().put("ID", "c-1").put("Name", "targets").put("Address", "127.0.0.2")
        .put("Port", 18081).put("Check", new JsonObject().put("HTTP", "http://127.0.0.1:18081/health")
            .put("Interval", "1h")).encode();
    Http.Response r = Http.put(strict + "/v1/agent/service/register", refused);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("checks.allowedTargets");
    // As Spring Cloud Consul sends it: the url names the registered address and port.
    String own = new JsonObject().put("ID", "c-2").put("Name", "targets").put("Address", "127.0.0.2")
        .put("Port", 18081).put("Check", new JsonObject().put("HTTP", "http://127.0.0.2:18081/actuator/health")
            .put("Interval", "1h")).encode();
    assertThat(Http.put(strict + "/v1/agent/service/register", own).status()).isEqualTo(200);
    assertThat(Http.put(listing + "/v1/agent/service/register", refused).status()).isEqualTo(200);
  }
}
