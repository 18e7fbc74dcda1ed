package io.cairn.model;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutesTest {
  private static final String FULL = """
      {"match": {"host": "Users.Example.com", "pathPrefix": "/api/users/", "methods": ["get", "POST"],
                 "headers": {"X-Env": "prod"}},
       "service": "users", "stripPrefix": true,
       "select": {"version": "^2", "tags": ["blue"], "meta": {"tier": "gold"}, "region": "eu", "zone": "eu-1"},
       "balance": "least-requests", "retries": 3,
       "timeouts": {"connect": "1s", "try": "5s", "request": "15s"},
       "breaker": {"maxConcurrentRequests": 10}}""";

  @Test
  void theIssuesRouteDocumentReadsAsWrittenAndBackTheSame() {
    Route r = Routes.parse(new JsonObject(FULL), "users-api");

    assertThat(r.id()).isEqualTo("users-api");
    assertThat(r.match().host()).isEqualTo("users.example.com");
    assertThat(r.match().methods()).containsExactly("GET", "POST");
    assertThat(r.match().headers()).containsEntry("x-env", "prod");
    assertThat(r.replacementPrefix()).isEqualTo("/");
    assertThat(r.select().version()).isEqualTo("^2");
    assertThat(r.balance()).isEqualTo(Route.Balance.LEAST_REQUESTS);
    assertThat(r.retries()).isEqualTo(3);
    assertThat(r.timeouts()).isEqualTo(new Route.Timeouts(1000, 5000, 15_000));
    assertThat(r.breaker()).isEqualTo(new Route.Limits(0, 0, 10));
    assertThat(Routes.parse(Routes.toJson(r), "users-api")).isEqualTo(r);
  }

  @Test
  void onlyTheServiceIsRequiredAndTheRestTakesDefaults() {
    Route r = Routes.parse(new JsonObject().put("service", "users"), "all");

    assertThat(r.match().isAny()).isTrue();
    assertThat(r.select().isAll()).isTrue();
    assertThat(r.balance()).isEqualTo(Route.Balance.ROUND_ROBIN);
    assertThat(r.retries()).isEqualTo(Route.DEFAULT_RETRIES);
    assertThat(r.replacementPrefix()).isNull();
    assertThat(Routes.toJson(r).getString("service")).isEqualTo("users");
  }

  @Test
  void badDocumentsNameTheFieldAtFault() {
    assertField("{}", "service");
    assertField("{\"service\": \"Users!\"}", "service");
    assertField("{\"service\": \"u\", \"stripPrefix\": true}", "stripPrefix");
    assertField("{\"service\": \"u\", \"match\": {\"pathPrefix\": \"/a/\"}, \"stripPrefix\": true, "
        + "\"rewritePrefix\": \"/b/\"}", "rewritePrefix");
    assertField("{\"service\": \"u\", \"match\": {\"pathPrefix\": \"/a/../b\"}}", "match.pathPrefix");
    assertField("{\"service\": \"u\", \"match\": {\"pathPrefix\": \"/a/\"}, \"rewritePrefix\": \"/%2e%2e/\"}",
        "rewritePrefix");
    assertField("{\"service\": \"u\", \"match\": {\"pathRegex\": \"(\"}}", "match.pathRegex");
    assertField("{\"service\": \"u\", \"match\": {\"methods\": [\"GE T\"]}}", "match.methods");
    assertField("{\"service\": \"u\", \"match\": {\"hots\": \"x\"}}", "match.hots");
    assertField("{\"service\": \"u\", \"select\": {\"version\": \"not a range\"}}", "select.version");
    assertField("{\"service\": \"u\", \"balance\": \"fastest\"}", "balance");
    assertField("{\"service\": \"u\", \"retries\": 11}", "retries");
    assertField("{\"service\": \"u\", \"timeouts\": {\"try\": \"soon\"}}", "timeouts.try");
    assertField("{\"service\": \"u\", \"timeouts\": {\"try\": \"0\"}}", "timeouts.try");
    assertField("{\"service\": \"u\", \"breaker\": {\"maxConcurrentRequests\": 0}}", "breaker.maxConcurrentRequests");
    assertField("{\"service\": \"u\", \"sticky\": true}", "sticky");
    assertField("{\"service\": \"u\", \"id\": \"other\"}", "id");
    assertThatThrownBy(() -> Routes.parse(new JsonObject().put("service", "u"), "host:u"))
        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("id"));
  }

  @Test
  void aCanarySplitWithStickyUsersAHashKeyAndZoneAffinityReadAsWrittenAndBackTheSame() {
    Route r = Routes.parse(new JsonObject("""
        {"service": "web", "balance": "hash", "hashOn": {"cookie": "session"},
         "split": [{"select": {"version": "^1"}, "weight": 95}, {"select": {"version": "^2", "tags": ["canary"]},
                    "weight": 5}],
         "sticky": {"header": "X-User"}, "zoneAffinity": {"minHealthyPercent": 60}}"""), "web");

    assertThat(r.traffic().split()).extracting(Route.Split::weight).containsExactly(95, 5);
    assertThat(r.traffic().split().get(1).select().tags()).containsExactly("canary");
    assertThat(r.traffic().sticky()).isEqualTo(new Route.Key("X-User", null, false));
    assertThat(r.traffic().hashOn()).isEqualTo(new Route.Key(null, "session", false));
    assertThat(r.traffic().zoneAffinity().minHealthyPercent()).isEqualTo(60);
    assertThat(Routes.parse(Routes.toJson(r), "web")).isEqualTo(r);
    assertThat(Routes.parse(new JsonObject("{\"service\": \"web\", \"zoneAffinity\": {}}"), "w").traffic()
        .zoneAffinity().minHealthyPercent()).isEqualTo(50);
  }

  @Test
  void badTrafficFieldsNameTheFieldAtFault() {
    assertField("{\"service\": \"u\", \"split\": []}", "split");
    assertField("{\"service\": \"u\", \"split\": [{\"weight\": 5}]}", "split[0].select");
    assertField("{\"service\": \"u\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": -1}]}",
        "split[0].weight");
    assertField("{\"service\": \"u\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 0}]}",
        "split");
    assertField("{\"service\": \"u\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 1}, "
        + "{\"select\": {\"version\": \"nope\"}, \"weight\": 1}]}", "split[1].select.version");
    assertField("{\"service\": \"u\", \"sticky\": {\"header\": \"X-User\"}}", "sticky");
    assertField("{\"service\": \"u\", \"split\": [{\"select\": {\"version\": \"^1\"}, \"weight\": 1}], "
        + "\"sticky\": {\"header\": \"X-User\", \"cookie\": \"s\"}}", "sticky");
    assertField("{\"service\": \"u\", \"balance\": \"hash\"}", "hashOn");
    assertField("{\"service\": \"u\", \"hashOn\": {\"header\": \"X-User\"}}", "hashOn");
    assertField("{\"service\": \"u\", \"balance\": \"hash\", \"hashOn\": {\"header\": \"bad header\"}}",
        "hashOn.header");
    assertField("{\"service\": \"u\", \"zoneAffinity\": {\"minHealthyPercent\": 101}}",
        "zoneAffinity.minHealthyPercent");
  }

  @Test
  void aRouteInACommandSurvivesTheLogsEncoding() {
    Route r = Routes.parse(new JsonObject(FULL), "users-api");
    Command c = Command.putRoute("n1", 7, 1000, r, 0).withRequestId(8);

    byte[] bytes = LogProto.bytes(c);
    Command back = LogProto.command(bytes, 0, bytes.length);

    assertThat(back.route()).isEqualTo(r);
    assertThat(back.cas()).isZero();
    assertThat(back.requestId()).isEqualTo(8);
  }

  private static void assertField(String json, String field) {
    assertThatThrownBy(() -> Routes.parse(new JsonObject(json), "r1"))
        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
