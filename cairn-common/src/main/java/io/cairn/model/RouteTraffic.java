package io.cairn.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.cairn.model.Fields.optionalBoolean;
import static io.cairn.model.Fields.optionalString;
import static io.cairn.model.Fields.requiredInt;

/**
 * The part of a route document that spreads its requests ({@link Route.Traffic}): {@code split}, {@code sticky},
 * {@code hashOn} and {@code zoneAffinity}, at the top level of the route as users write it.
 */
final class RouteTraffic {
  static final int MAX_SIDES = 16;
  static final int MAX_WEIGHT = 10_000;
  private static final Set<String> SIDE_FIELDS = Set.of("select", "weight");
  private static final Set<String> KEY_FIELDS = Set.of("header", "cookie", "clientAddress");
  private static final Set<String> ZONE_FIELDS = Set.of("minHealthyPercent");
  private static final int DEFAULT_MIN_HEALTHY_PERCENT = 50;

  private RouteTraffic() {
  }

  static Route.Traffic parse(JsonObject body, Route.Balance balance) {
    List<Route.Split> split = split(body.getValue("split"));
    Route.Key sticky = key(Routes.object(body, "sticky", "sticky"), "sticky");
    if (sticky != null && split.isEmpty()) {
      throw new ValidationException("missing_field", "sticky keeps a user on one side of a split: it needs split",
          "sticky");
    }
    Route.Key hashOn = key(Routes.object(body, "hashOn", "hashOn"), "hashOn");
    if (balance == Route.Balance.HASH && hashOn == null) {
      throw new ValidationException("missing_field", "balance hash needs hashOn: {\"header\": NAME}, "
          + "{\"cookie\": NAME} or {\"clientAddress\": true}", "hashOn");
    }
    if (hashOn != null && balance != Route.Balance.HASH) {
      throw new ValidationException("invalid_value", "hashOn is read only by balance hash", "hashOn");
    }
    Route.ZoneAffinity zone = zoneAffinity(Routes.object(body, "zoneAffinity", "zoneAffinity"));
    if (split.isEmpty() && sticky == null && hashOn == null && zone == null) {
      return Route.Traffic.NONE;
    }
    return new Route.Traffic(split, sticky, hashOn, zone);
  }

  private static List<Route.Split> split(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray) || ((JsonArray) value).isEmpty() || ((JsonArray) value).size() > MAX_SIDES) {
      throw new ValidationException("invalid_split", "split must be an array of 1-" + MAX_SIDES
          + " sides, each {\"select\": {...}, \"weight\": N}", "split");
    }
    List<Route.Split> sides = new ArrayList<>();
    long total = 0;
    JsonArray array = (JsonArray) value;
    for (int i = 0; i < array.size(); i++) {
      String field = "split[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject side)) {
        throw new ValidationException("invalid_split", field + " must be an object {\"select\": {...}, \"weight\": N}",
            field);
      }
      Routes.onlyFields(side, SIDE_FIELDS, field);
      JsonObject select = Routes.object(side, "select", field + ".select");
      if (select == null || select.isEmpty()) {
        throw new ValidationException("missing_field", field + ".select must name the instances of this side "
            + "(version, tags, meta, region or zone)", field + ".select");
      }
      int weight = requiredInt(side, "weight", field + ".weight");
      if (weight < 0 || weight > MAX_WEIGHT) {
        throw new ValidationException("invalid_weight", field + ".weight must be between 0 and " + MAX_WEIGHT,
            field + ".weight");
      }
      total += weight;
      sides.add(new Route.Split(Routes.select(select, field + ".select"), weight));
    }
    if (total == 0) {
      throw new ValidationException("invalid_weight", "at least one side of the split needs a weight above 0",
          "split");
    }
    return List.copyOf(sides);
  }

  private static Route.Key key(JsonObject k, String field) {
    if (k == null) {
      return null;
    }
    Routes.onlyFields(k, KEY_FIELDS, field);
    String header = optionalString(k, "header", field + ".header");
    String cookie = optionalString(k, "cookie", field + ".cookie");
    boolean client = optionalBoolean(k, "clientAddress", field + ".clientAddress");
    if ((header != null ? 1 : 0) + (cookie != null ? 1 : 0) + (client ? 1 : 0) != 1) {
      throw new ValidationException("invalid_key", field + " takes one of header, cookie or clientAddress: true",
          field);
    }
    if (header != null && !Routes.HEADER_NAME.matcher(header).matches()) {
      throw new ValidationException("invalid_header", field + ".header must be a header name", field + ".header");
    }
    if (cookie != null && !Routes.HEADER_NAME.matcher(cookie).matches()) {
      throw new ValidationException("invalid_cookie", field + ".cookie must be a cookie name", field + ".cookie");
    }
    return new Route.Key(header, cookie, client);
  }

  private static Route.ZoneAffinity zoneAffinity(JsonObject z) {
    if (z == null) {
      return null;
    }
    Routes.onlyFields(z, ZONE_FIELDS, "zoneAffinity");
    int percent = z.containsKey("minHealthyPercent")
        ? requiredInt(z, "minHealthyPercent", "zoneAffinity.minHealthyPercent") : DEFAULT_MIN_HEALTHY_PERCENT;
    if (percent < 0 || percent > 100) {
      throw new ValidationException("invalid_percent", "zoneAffinity.minHealthyPercent must be between 0 and 100",
          "zoneAffinity.minHealthyPercent");
    }
    return new Route.ZoneAffinity(percent);
  }

  /** Writes what the route sets into its document; nothing when it sets none of it. */
  static void toJson(Route.Traffic t, JsonObject route) {
    if (!t.split().isEmpty()) {
      JsonArray sides = new JsonArray();
      for (Route.Split s : t.split()) {
        sides.add(new JsonObject().put("select", Routes.toJson(s.select())).put("weight", s.weight()));
      }
      route.put("split", sides);
    }
    if (t.sticky() != null) {
      route.put("sticky", toJson(t.sticky()));
    }
    if (t.hashOn() != null) {
      route.put("hashOn", toJson(t.hashOn()));
    }
    if (t.zoneAffinity() != null) {
      route.put("zoneAffinity", new JsonObject().put("minHealthyPercent", t.zoneAffinity().minHealthyPercent()));
    }
  }

  private static JsonObject toJson(Route.Key k) {
    if (k.header() != null) {
      return new JsonObject().put("header", k.header());
    }
    if (k.cookie() != null) {
      return new JsonObject().put("cookie", k.cookie());
    }
    return new JsonObject().put("clientAddress", true);
  }
}
