package io.cairn.model;

import java.util.Locale;

/** The health of one service instance, as the registry sees it. */
public enum Health {
  HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the JSON spelling; null when it is not one of ours. */
  public static Health parse(String value) {
    if (value == null) {
      return null;
    }
    switch (value) {
      case "healthy": return HEALTHY;
      case "degraded": return DEGRADED;
      case "unhealthy": return UNHEALTHY;
      case "unknown": return UNKNOWN;
      default: return null;
    }
  }

  /** Healthy and degraded instances take traffic; the others do not. */
  public boolean servesTraffic() {
    return this == HEALTHY || this == DEGRADED;
  }
}
