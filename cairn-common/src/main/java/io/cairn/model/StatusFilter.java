package io.cairn.model;

/** The {@code status} filter of discovery. {@link #PASSING} is the default: instances that should get traffic. */
public enum StatusFilter {
  PASSING, ANY, HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN;

  public static StatusFilter parse(String value) {
    if (value == null) {
      return PASSING;
    }
    switch (value) {
      case "passing": return PASSING;
      case "any": return ANY;
      case "healthy": return HEALTHY;
      case "degraded": return DEGRADED;
      case "unhealthy": return UNHEALTHY;
      case "unknown": return UNKNOWN;
      default: throw new ValidationException("invalid_status",
          "status must be one of healthy, degraded, unhealthy, unknown, passing, any", "status");
    }
  }

  /** The single health this filter selects, or null when it is not a plain health filter. */
  public Health health() {
    switch (this) {
      case HEALTHY: return Health.HEALTHY;
      case DEGRADED: return Health.DEGRADED;
      case UNHEALTHY: return Health.UNHEALTHY;
      case UNKNOWN: return Health.UNKNOWN;
      default: return null;
    }
  }

  public boolean matches(ServiceEntry e) {
    switch (this) {
      case PASSING: return e.passing();
      case ANY: return true;
      default: return e.health() == health();
    }
  }
}
