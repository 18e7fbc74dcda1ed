package io.cairn.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in JSON and YAML: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}. */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,6})?)(ms|s|m|h|d)");
  private static final long MAX_MILLIS = 365L * 24 * 3600 * 1000;

  private Durations() {
  }

  /** Milliseconds, or an IllegalArgumentException that says what is accepted. */
  public static long parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("a duration is required");
    }
    String trimmed = text.trim();
    if (trimmed.equals("0")) {
      return 0;
    }
    Matcher m = DURATION.matcher(trimmed);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a duration; write it like 500ms, 10s, 5m or 1h");
    }
    double amount = Double.parseDouble(m.group(1));
    long unit;
    switch (m.group(2)) {
      case "ms": unit = 1; break;
      case "s": unit = 1000; break;
      case "m": unit = 60_000; break;
      case "h": unit = 3_600_000; break;
      default: unit = 86_400_000; break;
    }
    double millis = amount * unit;
    if (millis > MAX_MILLIS) {
      throw new IllegalArgumentException("'" + text + "' is longer than a year");
    }
    return Math.round(millis);
  }

  private static final Pattern GO_PART = Pattern.compile("(\\d{1,12}(?:\\.\\d{0,9})?|\\.\\d{1,9})(ns|us|\u00b5s|ms|s|m|h)");

  /**
   * Go's duration syntax, as Consul's clients write it: one or more amounts with units ({@code 120000ms},
   * {@code 2s}, {@code 1m30s}, {@code 1.5h}; ns, us, µs, ms, s, m, h), or {@code 0}. Milliseconds, rounded down.
   */
  public static long parseGo(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("a duration is required");
    }
    if (text.equals("0")) {
      return 0;
    }
    Matcher m = GO_PART.matcher(text);
    double nanos = 0;
    int at = 0;
    while (at < text.length() && m.find(at) && m.start() == at) {
      double amount = Double.parseDouble(m.group(1));
      switch (m.group(2)) {
        case "ns": nanos += amount; break;
        case "us":
        case "\u00b5s": nanos += amount * 1e3; break;
        case "ms": nanos += amount * 1e6; break;
        case "s": nanos += amount * 1e9; break;
        case "m": nanos += amount * 60e9; break;
        default: nanos += amount * 3600e9; break;
      }
      at = m.end();
    }
    if (at != text.length()) {
      throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a duration; write it like 500ms, 10s, "
          + "1m30s or 1h");
    }
    if (nanos / 1e6 > MAX_MILLIS) {
      throw new IllegalArgumentException("'" + abbreviate(text) + "' is longer than a year");
    }
    return (long) (nanos / 1e6);
  }

  /** The shortest exact spelling: 1500 → "1500ms", 10000 → "10s", 300000 → "5m". */
  public static String format(long millis) {
    if (millis == 0) {
      return "0s";
    }
    if (millis % 3_600_000 == 0) {
      return millis / 3_600_000 + "h";
    }
    if (millis % 60_000 == 0) {
      return millis / 60_000 + "m";
    }
    if (millis % 1000 == 0) {
      return millis / 1000 + "s";
    }
    return millis + "ms";
  }

  static String abbreviate(String text) {
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }
}
