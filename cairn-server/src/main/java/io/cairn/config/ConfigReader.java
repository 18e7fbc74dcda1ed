package io.cairn.config;

import io.cairn.model.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed values of one section of the merged configuration. Every error names the dotted key, so that a bad value
 * stops the node at start-up saying which setting to fix.
 */
final class ConfigReader {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB)?");

  private final JsonObject values;
  private final String path;

  ConfigReader(JsonObject values) {
    this(values, "");
  }

  private ConfigReader(JsonObject values, String path) {
    this.values = values;
    this.path = path;
  }

  /** A sub-section by its (possibly dotted) path below this one: {@code "cluster"}, {@code "cluster.raft"}. */
  ConfigReader section(String dotted) {
    ConfigReader s = this;
    for (String part : dotted.split("\\.")) {
      s = new ConfigReader(s.values.getJsonObject(part), s.key(part));
    }
    return s;
  }

  /** The dotted name of {@code key} in this section, for messages. */
  String key(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The raw value of {@code key} (a section is a JsonObject), or null. */
  Object value(String key) {
    return values.getValue(key);
  }

  String string(String key) {
    Object v = values.getValue(key);
    return v == null ? "" : String.valueOf(v);
  }

  /** Every key of this section with its value as text. */
  Map<String, String> strings() {
    Map<String, String> all = new LinkedHashMap<>();
    values.forEach(e -> all.put(e.getKey(), String.valueOf(e.getValue())));
    return all;
  }

  int integer(String key) {
    Object v = values.getValue(key);
    if (v instanceof Number) {
      return ((Number) v).intValue();
    }
    try {
      return Integer.parseInt(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key(key) + " must be a whole number, not '" + v + "'");
    }
  }

  boolean bool(String key) {
    Object v = values.getValue(key);
    if (v instanceof Boolean) {
      return (Boolean) v;
    }
    String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(key(key) + " must be true or false, not '" + v + "'");
  }

  /** Milliseconds. */
  long duration(String key) {
    try {
      return Durations.parse(string(key));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key(key) + ": " + e.getMessage());
    }
  }

  /** Bytes: a number with an optional B, KB, MB or GB. */
  long size(String key) {
    String v = string(key).trim().toUpperCase(Locale.ROOT);
    Matcher m = SIZE.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(key(key) + ": a size like 8MB, 512KB or 65536, not '" + v + "'");
    }
    long unit = m.group(2) == null || m.group(2).equals("B") ? 1 : m.group(2).equals("KB") ? 1L << 10
        : m.group(2).equals("MB") ? 1L << 20 : 1L << 30;
    return Long.parseLong(m.group(1)) * unit;
  }

  /** A YAML list, or a comma-separated string as environment variables and flags give it. */
  List<String> list(String key) {
    Object value = values.getValue(key);
    List<String> items = new ArrayList<>();
    if (value instanceof JsonArray) {
      for (Object o : (JsonArray) value) {
        items.add(String.valueOf(o).trim());
      }
    } else if (value != null) {
      for (String s : String.valueOf(value).split(",")) {
        if (!s.isBlank()) {
          items.add(s.trim());
        }
      }
    }
    return List.copyOf(items);
  }
}
