package io.cairn.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

import static io.cairn.model.Fields.duration;
import static io.cairn.model.Fields.optionalBoolean;
import static io.cairn.model.Fields.optionalString;
import static io.cairn.model.Fields.requiredInt;
import static io.cairn.model.Fields.requiredString;

/**
 * Turns a client's registration JSON into a {@link ServiceEntry}, or rejects it with a
 * {@link ValidationException} naming the field at fault. Nothing a client sends reaches the log unchecked.
 */
public final class Registrations {
  public static final int MAX_TAGS = 64;
  public static final int MAX_METADATA = 64;
  public static final int MAX_TEXT_BYTES = 512;
  public static final long MIN_TTL_MILLIS = 500;

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern HOST_NAME = Pattern.compile(
      "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
  private static final Pattern IPV4_LIKE = Pattern.compile("[0-9.]+");

  /** Fields a client may set. */
  private static final Set<String> INPUT_FIELDS = Set.of("id", "name", "version", "address", "port", "tags",
      "metadata", "region", "zone", "weight", "check", "ttl");
  /** Fields the registry sets; accepted and ignored so that a GET can be edited and PUT back. */
  private static final Set<String> STATE_FIELDS = Set.of("node", "health", "enabled", "draining", "registeredAt",
      "lastCheck", "lastHeartbeat", "healthSince", "revision");
  private static final Set<String> CHECK_FIELDS = Set.of("type", "path", "url", "service", "tls", "tlsSkipVerify",
      "headers", "interval", "timeout", "failuresBeforeUnhealthy", "successesBeforeHealthy", "gracePeriod",
      "deregisterAfter");
  private static final int MAX_HEADERS = 32;

  private Registrations() {
  }

  /**
   * Validates an id taken from a path or a body. Ids are printable ASCII without path separators, so they are
   * safe in URLs, logs and file names.
   */
  public static String validId(String id, String field) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new ValidationException("invalid_id",
          "an id is 1-128 characters of letters, digits and . _ : @ - starting with a letter or digit", field);
    }
    return id;
  }

  /**
   * @param body   the registration
   * @param pathId the id from the URL, or null when the body may carry one (or none, to have one generated)
   */
  public static ServiceEntry parse(JsonObject body, String pathId) {
    return parse(body, pathId, CheckDefaults.BUILT_IN);
  }

  /**
   * @param body     the registration
   * @param pathId   the id from the URL, or null when the body may carry one (or none, to have one generated)
   * @param defaults what a check leaves out, and the check types this node runs
   */
  public static ServiceEntry parse(JsonObject body, String pathId, CheckDefaults defaults) {
    if (body == null) {
      throw new ValidationException("invalid_body", "the body must be a JSON object describing the instance", null);
    }
    for (String key : body.fieldNames()) {
      if (!INPUT_FIELDS.contains(key) && !STATE_FIELDS.contains(key)) {
        throw new ValidationException("unknown_field", "'" + Durations.abbreviate(key) + "' is not a field of a service instance", key);
      }
    }
    String name = requiredString(body, "name");
    if (!NAME.matcher(name).matches()) {
      throw new ValidationException("invalid_name",
          "name must be 1-63 characters of a-z 0-9 . _ - starting with a letter or digit", "name");
    }
    String id = optionalString(body, "id");
    if (pathId != null) {
      validId(pathId, "id");
      if (id != null && !id.equals(pathId)) {
        throw new ValidationException("id_mismatch", "the body's id differs from the id in the path", "id");
      }
      id = pathId;
    } else if (id != null) {
      validId(id, "id");
    } else {
      id = name + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      if (id.length() > 128) {
        id = id.substring(id.length() - 128);
      }
    }
    String version = optionalString(body, "version");
    if (version != null && (version.isEmpty() || version.length() > 128 || hasControl(version))) {
      throw new ValidationException("invalid_version", "version must be 1-128 printable characters", "version");
    }
    String address = requiredString(body, "address");
    if (!validAddress(address)) {
      throw new ValidationException("invalid_address", "address must be a host name or an IP address", "address");
    }
    int port = requiredInt(body, "port");
    if (port < 1 || port > 65535) {
      throw new ValidationException("invalid_port", "port must be between 1 and 65535", "port");
    }
    List<String> tags = tags(body);
    SortedMap<String, String> metadata = metadata(body);
    String region = label(body, "region");
    String zone = label(body, "zone");
    int weight = body.containsKey("weight") ? requiredInt(body, "weight") : 1;
    if (weight < 0 || weight > 10_000) {
      throw new ValidationException("invalid_weight", "weight must be between 0 and 10000", "weight");
    }
    long ttl = 0;
    if (body.getValue("ttl") != null) {
      ttl = duration(optionalString(body, "ttl"), "ttl");
      if (ttl < MIN_TTL_MILLIS) {
        throw new ValidationException("invalid_ttl", "ttl must be at least 500ms", "ttl");
      }
    }
    Check check = check(body, ttl, defaults);
    return new ServiceEntry(id, Canonical.of(name), Canonical.of(version), address, port, tags, metadata,
        Canonical.of(region), Canonical.of(zone), weight, null, check, ttl, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
  }

  private static Check check(JsonObject body, long ttl, CheckDefaults defaults) {
    Object raw = body.getValue("check");
    if (raw == null) {
      return ttl > 0 ? Check.ttl(0) : null;
    }
    if (!(raw instanceof JsonObject)) {
      throw new ValidationException("invalid_type", "check must be an object", "check");
    }
    JsonObject c = (JsonObject) raw;
    for (String key : c.fieldNames()) {
      if (!CHECK_FIELDS.contains(key)) {
        throw new ValidationException("unknown_field", "'" + Durations.abbreviate(key) + "' is not a field of a check", "check." + key);
      }
    }
    String type = requiredString(c, "type", "check.type");
    if (!defaults.types().contains(type)) {
      throw new ValidationException("invalid_check", "check.type must be one of "
          + String.join(", ", new java.util.TreeSet<>(defaults.types())), "check.type");
    }
    long deregisterAfter = c.getValue("deregisterAfter") == null ? defaults.deregisterAfterMillis()
        : duration(optionalString(c, "deregisterAfter", "check.deregisterAfter"), "check.deregisterAfter");
    if (type.equals(Check.TTL)) {
      if (ttl == 0) {
        throw new ValidationException("invalid_check", "a ttl check needs the instance's ttl, e.g. \"ttl\": \"10s\"", "ttl");
      }
      return Check.ttl(deregisterAfter);
    }
    if (ttl > 0) {
      throw new ValidationException("invalid_check", "an instance has one check: either a ttl or a " + type + " check", "ttl");
    }
    String path = optionalString(c, "path", "check.path");
    String url = optionalString(c, "url", "check.url");
    if (path != null && (path.length() > MAX_TEXT_BYTES || !path.startsWith("/") || hasControl(path))) {
      throw new ValidationException("invalid_check", "check.path must start with / and have no control characters", "check.path");
    }
    if (url != null && (url.length() > 2048 || !(url.startsWith("http://") || url.startsWith("https://")) || hasControl(url))) {
      throw new ValidationException("invalid_check", "check.url must be an http:// or https:// URL", "check.url");
    }
    if (type.equals("http") && path == null && url == null) {
      throw new ValidationException("invalid_check", "an http check needs a path or a url", "check.path");
    }
    String service = optionalString(c, "service", "check.service");
    if (service != null && (service.length() > MAX_TEXT_BYTES || hasControl(service))) {
      throw new ValidationException("invalid_check", "check.service must be printable text", "check.service");
    }
    boolean tls = optionalBoolean(c, "tls", "check.tls");
    boolean tlsSkipVerify = optionalBoolean(c, "tlsSkipVerify", "check.tlsSkipVerify");
    SortedMap<String, String> headers = headers(c);
    long interval = c.getValue("interval") == null ? defaults.intervalMillis()
        : duration(optionalString(c, "interval", "check.interval"), "check.interval");
    long timeout = c.getValue("timeout") == null ? Math.min(defaults.timeoutMillis(), interval)
        : duration(optionalString(c, "timeout", "check.timeout"), "check.timeout");
    if (interval < 100) {
      throw new ValidationException("invalid_check", "check.interval must be at least 100ms", "check.interval");
    }
    if (timeout < 1 || timeout > interval) {
      throw new ValidationException("invalid_check", "check.timeout must be positive and at most the interval", "check.timeout");
    }
    int failures = c.containsKey("failuresBeforeUnhealthy")
        ? requiredInt(c, "failuresBeforeUnhealthy", "check.failuresBeforeUnhealthy") : defaults.failuresBeforeUnhealthy();
    int successes = c.containsKey("successesBeforeHealthy")
        ? requiredInt(c, "successesBeforeHealthy", "check.successesBeforeHealthy") : defaults.successesBeforeHealthy();
    if (failures < 1 || failures > 100) {
      throw new ValidationException("invalid_check", "check.failuresBeforeUnhealthy must be between 1 and 100", "check.failuresBeforeUnhealthy");
    }
    if (successes < 1 || successes > 100) {
      throw new ValidationException("invalid_check", "check.successesBeforeHealthy must be between 1 and 100", "check.successesBeforeHealthy");
    }
    long grace = c.getValue("gracePeriod") == null ? defaults.gracePeriodMillis()
        : duration(optionalString(c, "gracePeriod", "check.gracePeriod"), "check.gracePeriod");
    return new Check(type, path, url, service, tls, tlsSkipVerify, headers, interval, timeout, failures, successes,
        grace, deregisterAfter);
  }

  /** HTTP headers for a check: names are tokens, values printable, at most {@value #MAX_HEADERS}. */
  private static SortedMap<String, String> headers(JsonObject c) {
    Object raw = c.getValue("headers");
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject)) {
      throw new ValidationException("invalid_type", "check.headers must be an object of strings", "check.headers");
    }
    JsonObject h = (JsonObject) raw;
    if (h.size() > MAX_HEADERS) {
      throw new ValidationException("invalid_check", "check.headers has at most " + MAX_HEADERS + " headers", "check.headers");
    }
    SortedMap<String, String> headers = new java.util.TreeMap<>();
    for (String name : h.fieldNames()) {
      Object value = h.getValue(name);
      if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}") || !(value instanceof String)
          || ((String) value).length() > MAX_TEXT_BYTES || hasControl((String) value)) {
        throw new ValidationException("invalid_check", "check.headers." + name + " must be a header name with a "
            + "printable string value", "check.headers");
      }
      headers.put(name, (String) value);
    }
    return headers;
  }


  private static List<String> tags(JsonObject body) {
    Object raw = body.getValue("tags");
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray)) {
      throw new ValidationException("invalid_type", "tags must be an array of strings", "tags");
    }
    JsonArray array = (JsonArray) raw;
    if (array.size() > MAX_TAGS) {
      throw new ValidationException("too_many_tags", "at most " + MAX_TAGS + " tags", "tags");
    }
    Set<String> tags = new LinkedHashSet<>();
    for (Object tag : array) {
      if (!(tag instanceof String)) {
        throw new ValidationException("invalid_type", "tags must be an array of strings", "tags");
      }
      tags.add(Canonical.of(text((String) tag, "tags")));
    }
    return Collections.unmodifiableList(new ArrayList<>(tags));
  }

  private static SortedMap<String, String> metadata(JsonObject body) {
    Object raw = body.getValue("metadata");
    TreeMap<String, String> map = new TreeMap<>();
    if (raw == null) {
      return Collections.unmodifiableSortedMap(map);
    }
    if (!(raw instanceof JsonObject)) {
      throw new ValidationException("invalid_type", "metadata must be an object of strings", "metadata");
    }
    JsonObject object = (JsonObject) raw;
    if (object.size() > MAX_METADATA) {
      throw new ValidationException("too_many_metadata", "at most " + MAX_METADATA + " metadata entries", "metadata");
    }
    for (Map.Entry<String, Object> e : object) {
      String field = "metadata." + Durations.abbreviate(e.getKey());
      if (!(e.getValue() instanceof String)) {
        throw new ValidationException("invalid_type", "metadata values must be strings", field);
      }
      // Keys repeat across instances; values are often unique (build ids, hosts), so only keys are shared.
      map.put(Canonical.of(text(e.getKey(), field)), text((String) e.getValue(), field));
    }
    return Collections.unmodifiableSortedMap(map);
  }

  /** A tag, metadata key or value: non-empty, at most 512 bytes of UTF-8, no control characters. */
  public static String text(String value, String field) {
    if (value.isEmpty()) {
      throw new ValidationException("invalid_value", "must not be empty", field);
    }
    if (value.length() > MAX_TEXT_BYTES || value.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
      throw new ValidationException("too_long", "at most " + MAX_TEXT_BYTES + " bytes", field);
    }
    if (hasControl(value)) {
      throw new ValidationException("invalid_value", "must not contain control characters", field);
    }
    return value;
  }

  private static String label(JsonObject body, String field) {
    String value = optionalString(body, field);
    if (value != null && !LABEL.matcher(value).matches()) {
      throw new ValidationException("invalid_" + field,
          field + " must be 1-63 characters of letters, digits and . _ - starting with a letter or digit", field);
    }
    return value;
  }

  public static boolean validLabel(String value) {
    return value != null && LABEL.matcher(value).matches();
  }

  public static boolean validName(String value) {
    return value != null && NAME.matcher(value).matches();
  }

  public static boolean validAddress(String address) {
    if (address.isEmpty() || address.length() > 253) {
      return false;
    }
    if (address.indexOf(':') >= 0) {
      return io.netty.util.NetUtil.isValidIpV6Address(address);
    }
    if (IPV4_LIKE.matcher(address).matches()) {
      return io.netty.util.NetUtil.isValidIpV4Address(address);
    }
    return HOST_NAME.matcher(address).matches();
  }

  public static boolean hasControl(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return true;
      }
    }
    return false;
  }







}
