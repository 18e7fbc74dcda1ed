package io.cairn.http.rest;

import io.cairn.api.ApiException;
import io.cairn.api.Bulk;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Health;
import io.cairn.node.RaftStatus;
import io.cairn.node.Standing;
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
}
