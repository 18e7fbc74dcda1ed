package io.cairn.gateway;

import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class RouteTableTest {
  private static final Function<String, String> NO_HEADERS = name -> null;

  private static Route route(String id, String json) {
    return Routes.parse(new JsonObject(json), id);
  }

  private static Function<String, String> headers(Map<String, String> h) {
    return name -> h.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
        .findFirst().orElse(null);
  }

  private static String routeId(RouteTable t, String host, String path, String method,
                                Function<String, String> header) {
    RouteTable.Resolution r = t.resolve(host, path, method, header);
    return r == null ? null : r.route().id();
  }

  @Test
  void theLongestPrefixWins() {
    RouteTable t = new RouteTable(List.of(
        route("a", "{\"service\":\"api\",\"match\":{\"pathPrefix\":\"/api/\"}}"),
        route("b", "{\"service\":\"users\",\"match\":{\"pathPrefix\":\"/api/users/\"}}"),
        route("c", "{\"service\":\"web\"}")), "cairn", false);
    assertThat(routeId(t, "x", "/api/users/1", "GET", NO_HEADERS)).isEqualTo("b");
    assertThat(routeId(t, "x", "/api/users", "GET", NO_HEADERS)).isEqualTo("b");
    assertThat(routeId(t, "x", "/api/orders", "GET", NO_HEADERS)).isEqualTo("a");
    assertThat(routeId(t, "x", "/apix", "GET", NO_HEADERS)).as("a prefix ends at a segment").isEqualTo("c");
    assertThat(routeId(t, null, "/", "GET", NO_HEADERS)).as("no match matches the rest").isEqualTo("c");
    assertThat(t.size()).isEqualTo(3);
  }

  @Test
  void thenHostThenRegexThenConditionsThenId() {
    RouteTable t = new RouteTable(List.of(
        route("z-plain", "{\"service\":\"s1\",\"match\":{\"pathPrefix\":\"/x/\"}}"),
        route("y-host", "{\"service\":\"s2\",\"match\":{\"pathPrefix\":\"/x/\",\"host\":\"a.example.com\"}}"),
        route("x-wild", "{\"service\":\"s3\",\"match\":{\"pathPrefix\":\"/x/\",\"host\":\"*.example.com\"}}"),
        route("w-regex", "{\"service\":\"s4\",\"match\":{\"pathPrefix\":\"/x/\",\"pathRegex\":\"/x/[0-9]+\"}}"),
        route("v-get", "{\"service\":\"s5\",\"match\":{\"pathPrefix\":\"/x/\",\"methods\":[\"GET\"]}}"),
        route("b-same", "{\"service\":\"s6\",\"match\":{\"pathPrefix\":\"/x/\"}}")), "cairn", false);
    assertThat(routeId(t, "a.example.com", "/x/1", "GET", NO_HEADERS)).isEqualTo("y-host");
    assertThat(routeId(t, "b.example.com", "/x/1", "GET", NO_HEADERS)).isEqualTo("x-wild");
    assertThat(routeId(t, "other", "/x/1", "GET", NO_HEADERS)).isEqualTo("w-regex");
    assertThat(routeId(t, "other", "/x/a", "GET", NO_HEADERS)).isEqualTo("v-get");
    assertThat(routeId(t, "other", "/x/a", "POST", NO_HEADERS)).as("equal routes by id").isEqualTo("b-same");
  }

  @Test
  void aNarrowerWildcardBeforeABroaderOne() {
    RouteTable t = new RouteTable(List.of(
        route("a", "{\"service\":\"s1\",\"match\":{\"host\":\"*.example.com\"}}"),
        route("b", "{\"service\":\"s2\",\"match\":{\"host\":\"*.eu.example.com\"}}")), "cairn", false);
    assertThat(routeId(t, "x.eu.example.com", "/", "GET", NO_HEADERS)).isEqualTo("b");
    assertThat(routeId(t, "x.us.example.com", "/", "GET", NO_HEADERS)).isEqualTo("a");
  }

  @Test
  void everyMatchKind() {
    RouteTable t = new RouteTable(List.of(
        route("host", "{\"service\":\"s\",\"match\":{\"host\":\"users.example.com\"}}"),
        route("wild", "{\"service\":\"s\",\"match\":{\"host\":\"*.wild.com\"}}"),
        route("regex", "{\"service\":\"s\",\"match\":{\"pathRegex\":\"/orders/[0-9]+\"}}"),
        route("methods", "{\"service\":\"s\",\"match\":{\"methods\":[\"DELETE\",\"PATCH\"]}}"),
        route("headers", "{\"service\":\"s\",\"match\":{\"headers\":{\"X-Env\":\"prod\",\"X-Team\":\"a\"}}}")),
        "cairn", false);
    assertThat(routeId(t, "users.example.com", "/", "GET", NO_HEADERS)).isEqualTo("host");
    assertThat(routeId(t, "USERS.Example.COM:8180", "/", "GET", NO_HEADERS)).isEqualTo("host");
    assertThat(routeId(t, "users.example.com.", "/", "GET", NO_HEADERS)).isEqualTo("host");
    assertThat(routeId(t, "users.example.com.:80", "/", "GET", NO_HEADERS)).isEqualTo("host");
    assertThat(routeId(t, "a.wild.com", "/", "GET", NO_HEADERS)).isEqualTo("wild");
    assertThat(routeId(t, "a.b.wild.com", "/", "GET", NO_HEADERS)).isEqualTo("wild");
    assertThat(routeId(t, "wild.com", "/", "GET", NO_HEADERS)).as("not the domain itself").isNull();
    assertThat(routeId(t, "xwild.com", "/", "GET", NO_HEADERS)).isNull();
    assertThat(routeId(t, null, "/orders/12", "GET", NO_HEADERS)).isEqualTo("regex");
    assertThat(routeId(t, null, "/orders/12/items", "GET", NO_HEADERS)).as("the whole path").isNull();
    assertThat(routeId(t, null, "/", "PATCH", NO_HEADERS)).isEqualTo("methods");
    assertThat(routeId(t, null, "/", "GET", NO_HEADERS)).isNull();
    assertThat(routeId(t, null, "/", "GET", headers(Map.of("x-env", "prod", "X-TEAM", "a")))).isEqualTo("headers");
    assertThat(routeId(t, null, "/", "GET", headers(Map.of("x-env", "prod")))).as("all headers").isNull();
    assertThat(routeId(t, null, "/", "GET", headers(Map.of("x-env", "Prod", "x-team", "a")))).isNull();
  }

  @Test
  void allOfAMatchMustHold() {
    RouteTable t = new RouteTable(List.of(route("r", "{\"service\":\"s\",\"match\":{\"host\":\"a.com\","
        + "\"pathPrefix\":\"/p/\",\"methods\":[\"GET\"],\"headers\":{\"x-env\":\"prod\"}}}")), "cairn", false);
    Function<String, String> prod = headers(Map.of("X-Env", "prod"));
    assertThat(routeId(t, "a.com", "/p/1", "GET", prod)).isEqualTo("r");
    assertThat(routeId(t, "b.com", "/p/1", "GET", prod)).isNull();
    assertThat(routeId(t, "a.com", "/q/1", "GET", prod)).isNull();
    assertThat(routeId(t, "a.com", "/p/1", "POST", prod)).isNull();
    assertThat(routeId(t, "a.com", "/p/1", "GET", NO_HEADERS)).isNull();
  }

  @Test
  void hostThenPathRoutingToServices() {
    RouteTable t = new RouteTable(List.of(), "Cairn", true);
    RouteTable.Resolution byHost = t.resolve("Users.cairn:8180", "/x/y", "GET", NO_HEADERS);
    assertThat(byHost.route().id()).isEqualTo("host:users");
    assertThat(byHost.route().service()).isEqualTo("users");
    assertThat(byHost.route().match().isAny()).isTrue();
    assertThat(byHost.route().balance()).isEqualTo(Route.Balance.ROUND_ROBIN);
    assertThat(byHost.route().retries()).isEqualTo(Route.DEFAULT_RETRIES);
    assertThat(byHost.upstreamPath()).isEqualTo("/x/y");
    assertThat(t.resolve("users.cairn.", "/", "GET", NO_HEADERS).route().service()).isEqualTo("users");
    assertThat(t.resolve("a.b.cairn", "/", "GET", NO_HEADERS).route().service()).isEqualTo("a.b");

    RouteTable.Resolution byPath = t.resolve("localhost:8180", "/orders/1/items", "GET", NO_HEADERS);
    assertThat(byPath.route().id()).isEqualTo("path:orders");
    assertThat(byPath.route().service()).isEqualTo("orders");
    assertThat(byPath.upstreamPath()).isEqualTo("/1/items");
    assertThat(t.resolve(null, "/orders", "GET", NO_HEADERS).upstreamPath()).isEqualTo("/");
    assertThat(t.resolve(null, "/orders/", "GET", NO_HEADERS).upstreamPath()).isEqualTo("/");
    assertThat(t.resolve("bad_name!.cairn", "/orders/x", "GET", NO_HEADERS).route().id())
        .as("not a service name in Host: the path decides").isEqualTo("path:orders");
    assertThat(t.resolve(null, "/", "GET", NO_HEADERS)).isNull();
    assertThat(t.resolve(null, "/Orders/x", "GET", NO_HEADERS)).isNull();
    assertThat(t.resolve("cairn", "/", "GET", NO_HEADERS)).isNull();
  }

  @Test
  void withBareNamesAHostThatIsAServiceNameRoutesToIt() {
    RouteTable t = new RouteTable(List.of(route("r", "{\"service\":\"web\",\"match\":{\"host\":\"users\","
        + "\"pathPrefix\":\"/v2/\"}}")), "cairn", true, false);
    RouteTable.Resolution bare = t.resolve("Users:8080", "/x", "GET", NO_HEADERS);
    assertThat(bare.route().id()).isEqualTo("host:users");
    assertThat(bare.upstreamPath()).isEqualTo("/x");
    assertThat(routeId(t, "users", "/x", "GET", NO_HEADERS)).isEqualTo("host:users");
    assertThat(routeId(t, "users.cairn", "/x", "GET", NO_HEADERS)).as("the domain form still works")
        .isEqualTo("host:users");
    assertThat(routeId(t, "a.b", "/x", "GET", NO_HEADERS)).isEqualTo("host:a.b");
    assertThat(routeId(t, "users", "/v2/x", "GET", NO_HEADERS)).as("a route that matches comes first").isEqualTo("r");
    assertThat(t.resolve("bad_name!", "/x", "GET", NO_HEADERS)).isNull();
    assertThat(t.explainMiss("bad_name!", "/x", "GET")).contains("is not {service}.cairn or a service name");

    RouteTable node = new RouteTable(List.of(), "cairn", false, false);
    assertThat(node.resolve("users:8080", "/x", "GET", NO_HEADERS)).as("off on a node").isNull();
  }

  @Test
  void routesComeBeforeHostAndPathRouting() {
    RouteTable t = new RouteTable(List.of(route("r", "{\"service\":\"web\",\"match\":{\"pathPrefix\":\"/orders/\"}}")),
        "cairn", true);
    assertThat(routeId(t, "users.cairn", "/orders/1", "GET", NO_HEADERS)).isEqualTo("r");
    assertThat(routeId(t, "users.cairn", "/other", "GET", NO_HEADERS)).isEqualTo("host:users");
    RouteTable catchAll = new RouteTable(List.of(route("any", "{\"service\":\"web\"}")), "cairn", true);
    assertThat(routeId(catchAll, "users.cairn", "/orders/1", "GET", NO_HEADERS)).isEqualTo("any");
  }

  @Test
  void pathRoutingOff() {
    RouteTable t = new RouteTable(List.of(), "cairn", false);
    assertThat(t.resolve("localhost", "/orders/1", "GET", NO_HEADERS)).isNull();
    assertThat(t.resolve("orders.cairn", "/orders/1", "GET", NO_HEADERS).upstreamPath()).isEqualTo("/orders/1");
  }

  @Test
  void explainsAMiss() {
    RouteTable off = new RouteTable(List.of(), "cairn", false);
    assertThat(off.explainMiss("Users.Example.com:443", "/x", "GET")).isEqualTo(
        "no route matches GET users.example.com/x; Host users.example.com is not {service}.cairn; path routing is off");
    RouteTable on = new RouteTable(List.of(), "cairn", true);
    assertThat(on.explainMiss(null, "/", "GET")).isEqualTo(
        "no route matches GET /; no Host header; the path does not start with /{service}/");
    assertThat(on.explainMiss("Bad_Name.cairn", "/", "POST")).isEqualTo(
        "no route matches POST bad_name.cairn/; 'bad_name' in Host bad_name.cairn is not a service name;"
            + " the path does not start with /{service}/");
    assertThat(on.explainMiss("h", "/" + "x".repeat(500), "GET")).hasSizeLessThan(250);
  }

  @ParameterizedTest
  @CsvSource({
      "/api/users/, strip, /api/users/x/y, /x/y",
      "/api/users/, strip, /api/users, /",
      "/api/users/, strip, /api/users/, /",
      "/api/users/, strip, /api/users//x, //x",
      "/api/users, strip, /api/users/x, /x",
      "/api/users, strip, /api/users, /",
      "/api/users/, /v2/, /api/users/x, /v2/x",
      "/api/users/, /v2, /api/users/x, /v2/x",
      "/api/users, /v2/, /api/users/x, /v2/x",
      "/api/users/, /v2/, /api/users, /v2/",
      "/api/users/, /v2, /api/users, /v2",
      "/, /v2/, /x, /v2/x",
      "/, strip, /x, /x",
      "/api/users/, keep, /api/users/x, /api/users/x",
  })
  void prefixReplacement(String prefix, String replacement, String path, String upstream) {
    String how = switch (replacement) {
      case "strip" -> ",\"stripPrefix\":true";
      case "keep" -> "";
      default -> ",\"rewritePrefix\":\"" + replacement + "\"";
    };
    RouteTable t = new RouteTable(List.of(route("r",
        "{\"service\":\"s\",\"match\":{\"pathPrefix\":\"" + prefix + "\"}" + how + "}")), "cairn", false);
    assertThat(t.resolve(null, path, "GET", NO_HEADERS).upstreamPath()).isEqualTo(upstream);
  }

  @Test
  void aRewriteNeverClimbsOutOfItsReplacement() {
    RouteTable t = new RouteTable(List.of(route("r",
        "{\"service\":\"s\",\"match\":{\"pathPrefix\":\"/api/x\"},\"rewritePrefix\":\"/v2/\"}")), "cairn", false);
    for (String raw : List.of("/api/x/../../etc", "/api/x/%2e%2e/y", "/api/x..", "/api/x/..;/y")) {
      String path = Paths.normalize(raw);
      RouteTable.Resolution r = path == null ? null : t.resolve(null, path, "GET", NO_HEADERS);
      if (r != null) {
        assertThat(r.upstreamPath()).as(raw).startsWith("/v2/");
        assertThat(Paths.normalize(r.upstreamPath())).as(raw).isEqualTo(r.upstreamPath());
      }
    }
    assertThat(t.resolve(null, Paths.normalize("/api/x/a/../b"), "GET", NO_HEADERS).upstreamPath()).isEqualTo("/v2/b");
    assertThat(t.resolve(null, "/api/x..", "GET", NO_HEADERS)).isNull();
  }

  @Test
  void hostsAreComparedLowerCaseWithoutPortOrTrailingDot() {
    assertThat(RouteTable.normalizeHost("Users.Example.COM:8443")).isEqualTo("users.example.com");
    assertThat(RouteTable.normalizeHost("users.cairn.")).isEqualTo("users.cairn");
    assertThat(RouteTable.normalizeHost("[::1]:8180")).isEqualTo("[::1]");
    assertThat(RouteTable.normalizeHost("")).isNull();
    assertThat(RouteTable.normalizeHost(":80")).isNull();
    assertThat(RouteTable.normalizeHost(null)).isNull();
    String clean = "users.cairn";
    assertThat(RouteTable.normalizeHost(clean)).isSameAs(clean);
  }
}
