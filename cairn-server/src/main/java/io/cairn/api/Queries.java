package io.cairn.api;

import io.cairn.model.Durations;
import io.cairn.model.Registrations;
import io.cairn.model.ServiceQuery;
import io.cairn.model.StatusFilter;
import io.cairn.model.ValidationException;
import io.cairn.model.VersionFilter;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** Builds a {@link ServiceQuery} from URL parameters or from a JSON object, checking every value. */
public final class Queries {
  private static final Set<String> SINGLE = Set.of("name", "version", "status", "node", "region", "zone");
  private static final String META_PREFIX = "meta.";

  private Queries() {
  }

  /** From {@code ?name=&version=&tag=&status=&node=&region=&zone=&meta.K=V}; any other parameter is refused. */
  public static ServiceQuery fromParams(MultiMap params) {
    Criteria c = new Criteria();
    for (String key : params.names()) {
      List<String> values = params.getAll(key);
      if (key.equals("tag")) {
        values.forEach(c.tags::add);
      } else if (key.startsWith(META_PREFIX)) {
        single(key, values);
        c.metadata.put(key.substring(META_PREFIX.length()), values.get(0));
      } else if (SINGLE.contains(key)) {
        c.set(key, single(key, values));
      } else {
        throw new ValidationException("unknown_parameter",
            "unknown query parameter '" + abbreviate(key) + "'; discovery takes name, version, tag, status, node, region, zone, meta.KEY, index, wait, consistent",
            key);
      }
    }
    return c.build();
  }

  /** From {@code {"name", "version", "tags": [], "status", "node", "region", "zone", "metadata": {}}}. */
  public static ServiceQuery fromJson(JsonObject json) {
    Criteria c = new Criteria();
    if (json == null) {
      return c.build();
    }
    for (String key : json.fieldNames()) {
      Object value = json.getValue(key);
      if (value == null) {
        continue;
      }
      if (key.equals("tags")) {
        if (!(value instanceof JsonArray)) {
          throw new ValidationException("invalid_type", "tags must be an array of strings", "tags");
        }
        for (Object tag : (JsonArray) value) {
          if (!(tag instanceof String)) {
            throw new ValidationException("invalid_type", "tags must be an array of strings", "tags");
          }
          c.tags.add((String) tag);
        }
      } else if (key.equals("metadata")) {
        if (!(value instanceof JsonObject)) {
          throw new ValidationException("invalid_type", "metadata must be an object of strings", "metadata");
        }
        for (Map.Entry<String, Object> m : (JsonObject) value) {
          if (!(m.getValue() instanceof String)) {
            throw new ValidationException("invalid_type", "metadata values must be strings", "metadata." + m.getKey());
          }
          c.metadata.put(m.getKey(), (String) m.getValue());
        }
      } else if (SINGLE.contains(key)) {
        if (!(value instanceof String)) {
          throw new ValidationException("invalid_type", key + " must be a string", key);
        }
        c.set(key, (String) value);
      } else {
        throw new ValidationException("unknown_field", "'" + abbreviate(key) + "' is not a discovery criterion", key);
      }
    }
    return c.build();
  }

  /** The parameter that asks for a linearizable read. */
  public static final String CONSISTENT = "consistent";

  /** {@code consistent}, {@code consistent=true} or {@code =1}: a linearizable read; {@code false} or {@code 0}: not. */
  public static boolean consistent(MultiMap params) {
    if (!params.contains(CONSISTENT)) {
      return false;
    }
    String v = single(CONSISTENT, params.getAll(CONSISTENT)).trim().toLowerCase(Locale.ROOT);
    if (v.isEmpty() || v.equals("true") || v.equals("1")) {
      return true;
    }
    if (v.equals("false") || v.equals("0")) {
      return false;
    }
    throw new ValidationException("invalid_value", "consistent is true or false", CONSISTENT);
  }

  /** The discovery criteria without {@code consistent}, which says how to read, not what. */
  public static MultiMap withoutConsistent(MultiMap params) {
    if (!params.contains(CONSISTENT)) {
      return params;
    }
    MultiMap rest = MultiMap.caseInsensitiveMultiMap().addAll(params);
    rest.remove(CONSISTENT);
    return rest;
  }

  /** Refuses every parameter not named: for endpoints that take few or none. */
  public static void onlyParams(MultiMap params, String... allowed) {
    for (String key : params.names()) {
      boolean ok = false;
      for (String a : allowed) {
        ok |= a.equals(key);
      }
      if (!ok) {
        throw new ValidationException("unknown_parameter", "unknown query parameter '" + abbreviate(key) + "'", key);
      }
    }
  }

  /** A whole number at least 0, given once (e.g. a blocking query's {@code index}). */
  public static long nonNegative(MultiMap params, String key) {
    String value = single(key, params.getAll(key));
    try {
      long n = Long.parseLong(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // refused below
    }
    throw new ValidationException("invalid_value", key + " must be a whole number, 0 or more", key);
  }

  /** A duration such as {@code 30s} or {@code 5m}, given once. */
  public static long duration(MultiMap params, String key) {
    String value = single(key, params.getAll(key));
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ValidationException("invalid_duration", key + ": " + e.getMessage(), key);
    }
  }

  static String single(String key, List<String> values) {
    if (values.size() != 1) {
      throw new ValidationException("repeated_parameter", key + " may be given once", key);
    }
    return values.get(0);
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  private static final class Criteria {
    String name;
    VersionFilter version;
    StatusFilter status = StatusFilter.PASSING;
    String node;
    String region;
    String zone;
    final List<String> tags = new ArrayList<>();
    final SortedMap<String, String> metadata = new TreeMap<>();

    void set(String key, String value) {
      switch (key) {
        case "name":
          if (!Registrations.validName(value)) {
            throw new ValidationException("invalid_name",
                "name must be 1-63 characters of a-z 0-9 . _ - starting with a letter or digit", "name");
          }
          name = value;
          break;
        case "version":
          version = VersionFilter.parse(value);
          break;
        case "status":
          status = StatusFilter.parse(value);
          break;
        case "node":
          node = Registrations.text(value, "node");
          break;
        case "region":
        case "zone":
          if (!Registrations.validLabel(value)) {
            throw new ValidationException("invalid_" + key,
                key + " must be 1-63 characters of letters, digits and . _ -", key);
          }
          if (key.equals("region")) {
            region = value;
          } else {
            zone = value;
          }
          break;
        default:
          throw new IllegalArgumentException(key);
      }
    }

    ServiceQuery build() {
      if (tags.size() > Registrations.MAX_TAGS) {
        throw new ValidationException("too_many_tags", "at most " + Registrations.MAX_TAGS + " tags", "tag");
      }
      for (String tag : tags) {
        Registrations.text(tag, "tag");
      }
      if (metadata.size() > Registrations.MAX_METADATA) {
        throw new ValidationException("too_many_metadata", "at most " + Registrations.MAX_METADATA + " metadata criteria", "meta");
      }
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        Registrations.text(m.getKey(), "meta." + m.getKey());
        Registrations.text(m.getValue(), "meta." + m.getKey());
      }
      return new ServiceQuery(name, version, List.copyOf(new LinkedHashSet<>(tags)), status, node, region,
          zone, metadata);
    }
  }
}
