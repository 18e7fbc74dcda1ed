package io.cairn.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static io.cairn.model.Fields.duration;
import static io.cairn.model.Fields.optionalBoolean;
import static io.cairn.model.Fields.optionalString;
import static io.cairn.model.Fields.requiredInt;
import static io.cairn.model.Fields.requiredString;

/**
 * A route document in and out: the same JSON in conf/cairn.yaml, the API, the log and snapshots. Reading rejects
 * anything a proxy could not act on with a {@link ValidationException} naming the field, so a route in the log is
 * always one every node can follow.
 */
public final class Routes {
  public static final int MAX_RETRIES = 10;
  private static final int MAX_HEADERS = 16;
  private static final int MAX_PATTERN = 512;
  private static final Set<String> FIELDS = Set.of("id", "match", "service", "stripPrefix", "rewritePrefix", "select",
      "balance", "retries", "retryNonIdempotent", "timeouts", "breaker", "split", "sticky", "hashOn", "zoneAffinity",
      "revision", "source");
  private static final Set<String> MATCH_FIELDS = Set.of("host", "pathPrefix", "pathRegex", "methods", "headers");
  private static final Set<String> SELECT_FIELDS = Set.of("version", "tags", "meta", "region", "zone");
  private static final Set<String> TIMEOUT_FIELDS = Set.of("connect", "try", "request");
  private static final Set<String> BREAKER_FIELDS = Set.of("maxConnections", "maxPendingRequests",
      "maxConcurrentRequests");
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");
  static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}");
  private static final Pattern HOST = Pattern.compile(
      "(?=.{1,253}$)(\\*\\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");

  private Routes() {
  }

  /**
   * @param body   the route document
   * @param pathId the id from the URL or the configuration key; the body may repeat it, not contradict it
   */
  public static Route parse(JsonObject body, String pathId) {
    if (body == null) {
      throw new ValidationException("invalid_body", "the body must be a JSON object describing the route", null);
    }
    for (String key : body.fieldNames()) {
      if (!FIELDS.contains(key)) {
        throw new ValidationException("unknown_field", "'" + Durations.abbreviate(key) + "' is not a field of a route", key);
      }
    }
    String id = Registrations.validId(pathId, "id");
    if (id.startsWith("host:") || id.startsWith("path:")) {
      throw new ValidationException("invalid_id", "route ids starting with host: or path: name the routes the proxy "
          + "makes for Host and path routing; choose another", "id");
    }
    String bodyId = optionalString(body, "id");
    if (bodyId != null && !bodyId.equals(id)) {
      throw new ValidationException("id_mismatch", "the body's id differs from the route's id", "id");
    }
    String service = requiredString(body, "service");
    if (!Registrations.validName(service)) {
      throw new ValidationException("invalid_name",
          "service must be a service name: 1-63 characters of a-z 0-9 . _ - starting with a letter or digit", "service");
    }
    Route.Match match = match(object(body, "match"));
    boolean strip = optionalBoolean(body, "stripPrefix", "stripPrefix");
    String rewrite = optionalString(body, "rewritePrefix");
    if ((strip || rewrite != null) && match.pathPrefix() == null) {
      throw new ValidationException("missing_field", "stripping or rewriting a prefix needs match.pathPrefix",
          strip ? "stripPrefix" : "rewritePrefix");
    }
    if (strip && rewrite != null) {
      throw new ValidationException("invalid_value", "a route either strips its prefix or rewrites it, not both",
          "rewritePrefix");
    }
    if (rewrite != null) {
      path(rewrite, "rewritePrefix");
    }
    String balanceName = optionalString(body, "balance");
    Route.Balance balance = balanceName == null ? Route.Balance.ROUND_ROBIN : Route.Balance.of(balanceName);
    if (balance == null) {
      throw new ValidationException("invalid_balance",
          "balance is one of round-robin, weighted, least-requests, random, hash", "balance");
    }
    int retries = body.containsKey("retries") ? requiredInt(body, "retries") : Route.DEFAULT_RETRIES;
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new ValidationException("invalid_retries", "retries must be between 0 and " + MAX_RETRIES, "retries");
    }
    long revision = body.getValue("revision") instanceof Number ? body.getLong("revision") : 0;
    return new Route(id, match, service, strip, rewrite, select(object(body, "select")), balance, retries,
        optionalBoolean(body, "retryNonIdempotent", "retryNonIdempotent"), timeouts(object(body, "timeouts")),
        breaker(object(body, "breaker")), RouteTraffic.parse(body, balance), revision);
  }

  private static Route.Match match(JsonObject m) {
    if (m == null) {
      return Route.Match.ANY;
    }
    onlyFields(m, MATCH_FIELDS, "match");
    String host = optionalString(m, "host", "match.host");
    if (host != null) {
      host = host.toLowerCase(Locale.ROOT);
      if (!HOST.matcher(host).matches()) {
        throw new ValidationException("invalid_host", "match.host must be a host name (optionally *.domain)", "match.host");
      }
    }
    String prefix = optionalString(m, "pathPrefix", "match.pathPrefix");
    if (prefix != null) {
      path(prefix, "match.pathPrefix");
    }
    String regex = optionalString(m, "pathRegex", "match.pathRegex");
    if (regex != null) {
      if (regex.isEmpty() || regex.length() > MAX_PATTERN) {
        throw new ValidationException("invalid_regex", "match.pathRegex must be 1-" + MAX_PATTERN + " characters",
            "match.pathRegex");
      }
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new ValidationException("invalid_regex", "match.pathRegex: " + e.getDescription(), "match.pathRegex");
      }
    }
    List<String> methods = new ArrayList<>();
    for (String method : strings(m, "methods", "match.methods")) {
      String upper = method.toUpperCase(Locale.ROOT);
      if (!METHOD.matcher(upper).matches()) {
        throw new ValidationException("invalid_method", "match.methods are HTTP methods such as GET", "match.methods");
      }
      if (!methods.contains(upper)) {
        methods.add(upper);
      }
    }
    SortedMap<String, String> headers = new TreeMap<>();
    JsonObject h = object(m, "headers", "match.headers");
    if (h != null) {
      if (h.size() > MAX_HEADERS) {
        throw new ValidationException("too_many_headers", "at most " + MAX_HEADERS + " headers", "match.headers");
      }
      for (Map.Entry<String, Object> e : h) {
        String field = "match.headers." + Durations.abbreviate(e.getKey());
        if (!HEADER_NAME.matcher(e.getKey()).matches() || !(e.getValue() instanceof String)) {
          throw new ValidationException("invalid_header", "headers map header names to string values", field);
        }
        // Header names compare without regard to case; kept lower case so that two spellings are one header.
        headers.put(e.getKey().toLowerCase(Locale.ROOT), Registrations.text((String) e.getValue(), field));
      }
    }
    return new Route.Match(host, prefix, regex, List.copyOf(methods), Collections.unmodifiableSortedMap(headers));
  }

  private static Route.Select select(JsonObject s) {
    return select(s, "select");
  }

  /** @param field where the select sits in the route document, for errors: select, or split[1].select */
  static Route.Select select(JsonObject s, String field) {
    if (s == null) {
      return Route.Select.ALL;
    }
    onlyFields(s, SELECT_FIELDS, field);
    String version = optionalString(s, "version", field + ".version");
    if (version != null) {
      try {
        VersionFilter.parse(version);
      } catch (ValidationException e) {
        throw new ValidationException(e.code(), e.getMessage(), field + ".version");
      }
    }
    List<String> tags = new ArrayList<>();
    for (String tag : strings(s, "tags", field + ".tags")) {
      tags.add(Registrations.text(tag, field + ".tags"));
    }
    SortedMap<String, String> meta = new TreeMap<>();
    JsonObject m = object(s, "meta", field + ".meta");
    if (m != null) {
      for (Map.Entry<String, Object> e : m) {
        String name = field + ".meta." + Durations.abbreviate(e.getKey());
        if (!(e.getValue() instanceof String)) {
          throw new ValidationException("invalid_type", field + ".meta values must be strings", name);
        }
        meta.put(Registrations.text(e.getKey(), name), Registrations.text((String) e.getValue(), name));
      }
    }
    return new Route.Select(version, List.copyOf(tags), Collections.unmodifiableSortedMap(meta),
        label(s, "region", field), label(s, "zone", field));
  }

  private static String label(JsonObject s, String key, String parent) {
    String field = parent + "." + key;
    String value = optionalString(s, key, field);
    if (value != null && !Registrations.validLabel(value)) {
      throw new ValidationException("invalid_" + key, field + " must be a region or zone label", field);
    }
    return value;
  }

  private static Route.Timeouts timeouts(JsonObject t) {
    if (t == null) {
      return Route.Timeouts.DEFAULT;
    }
    onlyFields(t, TIMEOUT_FIELDS, "timeouts");
    return new Route.Timeouts(positiveDuration(t, "connect"), positiveDuration(t, "try"),
        positiveDuration(t, "request"));
  }

  private static long positiveDuration(JsonObject t, String key) {
    String text = optionalString(t, key, "timeouts." + key);
    if (text == null) {
      return 0;
    }
    long millis = duration(text, "timeouts." + key);
    if (millis <= 0) {
      throw new ValidationException("invalid_duration", "timeouts." + key + " must be longer than 0", "timeouts." + key);
    }
    return millis;
  }

  private static Route.Limits breaker(JsonObject b) {
    if (b == null) {
      return Route.Limits.DEFAULT;
    }
    onlyFields(b, BREAKER_FIELDS, "breaker");
    return new Route.Limits(limit(b, "maxConnections"), limit(b, "maxPendingRequests"),
        limit(b, "maxConcurrentRequests"));
  }

  private static int limit(JsonObject b, String key) {
    if (!b.containsKey(key)) {
      return 0;
    }
    int value = requiredInt(b, key, "breaker." + key);
    if (value < 1 || value > 1_000_000) {
      throw new ValidationException("invalid_limit", "breaker." + key + " must be between 1 and 1000000", "breaker." + key);
    }
    return value;
  }

  /** An absolute path of printable ASCII without dot segments, so a rewrite cannot climb out of its prefix. */
  private static void path(String path, String field) {
    if (path.isEmpty() || path.charAt(0) != '/' || path.length() > MAX_PATTERN) {
      throw new ValidationException("invalid_path", field + " must be a path starting with /", field);
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= ' ' || c >= 127 || c == '?' || c == '#' || c == '%') {
        throw new ValidationException("invalid_path", field + " must be printable ASCII without ? # % or spaces", field);
      }
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new ValidationException("invalid_path", field + " must not contain . or .. segments", field);
      }
    }
  }

  static void onlyFields(JsonObject j, Set<String> allowed, String parent) {
    for (String key : j.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new ValidationException("unknown_field",
            "'" + Durations.abbreviate(key) + "' is not a field of " + parent, parent + "." + Durations.abbreviate(key));
      }
    }
  }

  private static JsonObject object(JsonObject j, String key) {
    return object(j, key, key);
  }

  static JsonObject object(JsonObject j, String key, String field) {
    Object v = j.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject)) {
      throw new ValidationException("invalid_type", field + " must be an object", field);
    }
    return (JsonObject) v;
  }

  private static List<String> strings(JsonObject j, String key, String field) {
    Object v = j.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray) || ((JsonArray) v).size() > Registrations.MAX_TAGS) {
      throw new ValidationException("invalid_type", field + " must be an array of at most "
          + Registrations.MAX_TAGS + " strings", field);
    }
    List<String> out = new ArrayList<>();
    for (Object o : (JsonArray) v) {
      if (!(o instanceof String)) {
        throw new ValidationException("invalid_type", field + " must be an array of strings", field);
      }
      out.add((String) o);
    }
    return out;
  }

  /** The document as the API shows it: only what the route sets, plus its id and revision. */
  public static JsonObject toJson(Route r) {
    JsonObject j = new JsonObject().put("id", r.id());
    if (!r.match().isAny()) {
      Route.Match m = r.match();
      JsonObject match = new JsonObject();
      putIf(match, "host", m.host());
      putIf(match, "pathPrefix", m.pathPrefix());
      putIf(match, "pathRegex", m.pathRegex());
      if (!m.methods().isEmpty()) {
        match.put("methods", new JsonArray(new ArrayList<>(m.methods())));
      }
      if (!m.headers().isEmpty()) {
        match.put("headers", new JsonObject(new TreeMap<>(m.headers())));
      }
      j.put("match", match);
    }
    j.put("service", r.service());
    if (r.stripPrefix()) {
      j.put("stripPrefix", true);
    }
    putIf(j, "rewritePrefix", r.rewritePrefix());
    if (!r.select().isAll()) {
      j.put("select", toJson(r.select()));
    }
    j.put("balance", r.balance().json()).put("retries", r.retries());
    if (r.retryNonIdempotent()) {
      j.put("retryNonIdempotent", true);
    }
    if (!r.timeouts().equals(Route.Timeouts.DEFAULT)) {
      JsonObject t = new JsonObject();
      putDuration(t, "connect", r.timeouts().connectMillis());
      putDuration(t, "try", r.timeouts().tryMillis());
      putDuration(t, "request", r.timeouts().requestMillis());
      j.put("timeouts", t);
    }
    if (!r.breaker().equals(Route.Limits.DEFAULT)) {
      JsonObject b = new JsonObject();
      putLimit(b, "maxConnections", r.breaker().maxConnections());
      putLimit(b, "maxPendingRequests", r.breaker().maxPendingRequests());
      putLimit(b, "maxConcurrentRequests", r.breaker().maxConcurrentRequests());
      j.put("breaker", b);
    }
    RouteTraffic.toJson(r.traffic(), j);
    return j.put("revision", r.revision());
  }

  /** A select as the route document writes it (only what it narrows by), for whoever shows a route's parts. */
  public static JsonObject toJson(Route.Select s) {
    JsonObject select = new JsonObject();
    putIf(select, "version", s.version());
    if (!s.tags().isEmpty()) {
      select.put("tags", new JsonArray(new ArrayList<>(s.tags())));
    }
    if (!s.meta().isEmpty()) {
      select.put("meta", new JsonObject(new TreeMap<>(s.meta())));
    }
    putIf(select, "region", s.region());
    putIf(select, "zone", s.zone());
    return select;
  }

  private static void putIf(JsonObject j, String key, String value) {
    if (value != null) {
      j.put(key, value);
    }
  }

  private static void putDuration(JsonObject j, String key, long millis) {
    if (millis > 0) {
      j.put(key, Durations.format(millis));
    }
  }

  private static void putLimit(JsonObject j, String key, int value) {
    if (value > 0) {
      j.put(key, value);
    }
  }
}
