package io.cairn.http.rest;

import io.cairn.api.ApiException;
import io.cairn.api.Bulk;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.Upstreams;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Health;
import io.cairn.model.Routes;
import io.cairn.node.RaftStatus;
import io.cairn.node.Standing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST API's JSON is what clients parse: field order, nesting and written nulls are part of it. */
class RestJsonTest {

  @Test
  void aStatusWithoutALeaderWritesItsNullsInPlace() {
    ClusterViews.Status status = new ClusterViews.Status("n1", "", "1.0", "cairn", false, 0, "follower", null, 0,
        false, null, null, false, false, "cut off", RaftStatus.NONE, 3, Standing.UNMEASURED, 0, 0, 0, "127.0.0.1",
        8080, 1, 2);

    JsonObject json = RestJson.status(status);

    assertThat(json.fieldNames()).containsExactly("node", "memberId", "version", "cluster", "ready", "revision",
        "role", "leader", "term", "isLeader", "leaderSince", "leaderUptimeMillis", "quorate", "current",
        "notCurrentBecause", "raft", "standing", "services", "names", "nodes", "http", "startedAt", "uptimeMillis");
    assertThat(json.encode()).contains("\"leader\":null", "\"leaderSince\":null", "\"freeBytes\":null");
    assertThat(json.getJsonObject("raft").getInteger("votersWanted")).isEqualTo(3);
    assertThat(json.getJsonObject("http").encode()).isEqualTo("{\"host\":\"127.0.0.1\",\"port\":8080}");
  }

  @Test
  void aBulkAnswerNamesEachItemsInstanceOrRefusal() {
    Bulk bulk = new Bulk(7, List.of(
        new Bulk.Item(0, 201, "web-1", 7, null),
        new Bulk.Item(1, 400, null, -1,
            new ApiException(400, "invalid_type", "each item must be a JSON object", "services[1]"))));

    assertThat(bulk.toJson().encode()).isEqualTo("{\"revision\":7,\"results\":["
        + "{\"index\":0,\"status\":201,\"id\":\"web-1\",\"revision\":7},"
        + "{\"index\":1,\"status\":400,\"error\":\"invalid_type\",\"message\":\"each item must be a JSON object\","
        + "\"field\":\"services[1]\"}]}");
  }

  @Test
  void aCheckRunIsItsResultAndHealthOrTheReasonItDidNotRun() {
    CheckOutcome outcome = new CheckOutcome(42, Health.HEALTHY, "200 OK", 3, "n1");

    assertThat(RestJson.checkRun(new CheckOperations.CheckRun("web-1", outcome, null, null)).encode())
        .isEqualTo("{\"id\":\"web-1\",\"result\":{\"at\":42,\"status\":\"healthy\",\"output\":\"200 OK\","
            + "\"durationMillis\":3,\"node\":\"n1\"},\"health\":null}");
    assertThat(RestJson.checkRun(new CheckOperations.CheckRun("web-1", null, null, "timeout")).encode())
        .isEqualTo("{\"id\":\"web-1\",\"error\":\"timeout\"}");
  }

  @Test
  void aSplitRouteShowsEachSidesSelectWeightAndShareOfTheRecentRequests() {
    Gateway.SplitShare canary = new Gateway.SplitShare(Routes.parse(new JsonObject().put("service", "cart")
        .put("split", new JsonArray()
            .add(new JsonObject().put("select", new JsonObject().put("version", "^1")).put("weight", 95))
            .add(new JsonObject().put("select", new JsonObject().put("version", "^2").put("tags",
                new JsonArray().add("blue"))).put("weight", 5))), "cart-canary").at(12), List.of(1170L, 64L));
    Gateway.SplitShare idle = new Gateway.SplitShare(Routes.parse(new JsonObject().put("service", "cart")
        .put("split", new JsonArray()
            .add(new JsonObject().put("select", new JsonObject().put("zone", "a")).put("weight", 1))), "idle").at(13),
        List.of(0L));

    JsonObject json = RestJson.upstreams(List.of(new Upstreams("cart", 0, false, 0, List.of())),
        List.of(canary, idle));

    assertThat(json.fieldNames()).containsExactly("services", "splits");
    assertThat(json.getJsonArray("splits").getJsonObject(0).encode()).isEqualTo("{\"route\":\"cart-canary\","
        + "\"service\":\"cart\",\"revision\":12,\"sides\":["
        + "{\"select\":{\"version\":\"^1\"},\"weight\":95,\"recentRequests\":1170,\"recentShare\":0.948},"
        + "{\"select\":{\"version\":\"^2\",\"tags\":[\"blue\"]},\"weight\":5,\"recentRequests\":64,"
        + "\"recentShare\":0.052}]}");
    assertThat(json.getJsonArray("splits").getJsonObject(1).getJsonArray("sides").getJsonObject(0)
        .getDouble("recentShare")).isZero();
  }
}
