package io.cairn.model;

import org.semver4j.RangesList;
import org.semver4j.RangesListFactory;
import org.semver4j.Semver;

/**
 * The {@code version} filter of discovery: an exact version ({@code 1.2.3}) or a semver range ({@code ^1.2},
 * {@code >=1.0 <2}, {@code 1.x}). Instance versions that are not semver match only an identical exact filter.
 */
public final class VersionFilter {
  private final String text;
  private final RangesList range;

  private VersionFilter(String text, RangesList range) {
    this.text = text;
    this.range = range;
  }

  public static VersionFilter parse(String text) {
    if (text == null || text.isBlank() || text.length() > 128) {
      throw new ValidationException("invalid_version", "version must be a version or a semver range such as ^1.2", "version");
    }
    if (Semver.isValid(text)) {
      return new VersionFilter(text, null);
    }
    RangesList range = RangesListFactory.create(text);
    if (range.get().isEmpty()) {
      throw new ValidationException("invalid_version",
          "'" + Durations.abbreviate(text) + "' is neither a version nor a semver range (try ^1.2, ~1.4, >=1.0 <2, 1.x)",
          "version");
    }
    return new VersionFilter(text, range);
  }

  public boolean matches(String version) {
    if (version == null) {
      return false;
    }
    if (range == null) {
      return text.equals(version) || (Semver.isValid(version) && Semver.parse(version).isEquivalentTo(text));
    }
    Semver parsed = Semver.coerce(version);
    return parsed != null && range.isSatisfiedBy(parsed);
  }

  @Override
  public String toString() {
    return text;
  }
}
