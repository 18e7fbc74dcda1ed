package io.cairn.config;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code logging} section: the node's log on standard output.
 *
 * @param format  text or json
 * @param level   the root logger's level: trace, debug, info, warn, error or off
 * @param loggers logger name → level: the defaults with every layer's additions
 */
public record LoggingSettings(String format, String level, Map<String, String> loggers) {
  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  public LoggingSettings {
    loggers = Collections.unmodifiableMap(new TreeMap<>(loggers));
  }

  static LoggingSettings from(ConfigReader r) {
    String format = r.string("format").trim().toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      throw new IllegalArgumentException("logging.format is text or json, not '" + format + "'");
    }
    String level = level(r.key("level"), r.string("level"));
    ConfigReader named = r.section("loggers");
    Map<String, String> loggers = new TreeMap<>();
    named.strings().forEach((name, value) -> loggers.put(name, level(named.key(name), value)));
    return new LoggingSettings(format, level, loggers);
  }

  private static String level(String key, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!LEVELS.contains(v)) {
      throw new IllegalArgumentException(key + " is one of trace, debug, info, warn, error, off, not '" + value + "'");
    }
    return v;
  }
}
