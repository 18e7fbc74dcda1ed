package io.cairn.model;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared copy of the short strings that repeat across instances (names, versions, regions, zones, tags,
 * metadata keys, node ids), so that a registry of many instances of few services does not keep a copy per
 * instance. Bounded and never emptied: once full, new strings are kept as they are, which costs memory, never
 * correctness (strings are always compared with equals).
 */
public final class Canonical {
  private static final int MAX_ENTRIES = 65_536;
  private static final int MAX_LENGTH = 64;
  private static final ConcurrentHashMap<String, String> STRINGS = new ConcurrentHashMap<>();

  private Canonical() {
  }

  public static String of(String s) {
    if (s == null || s.length() > MAX_LENGTH) {
      return s;
    }
    String known = STRINGS.get(s);
    if (known != null) {
      return known;
    }
    if (STRINGS.size() >= MAX_ENTRIES) {
      return s;
    }
    known = STRINGS.putIfAbsent(s, s);
    return known == null ? s : known;
  }
}
