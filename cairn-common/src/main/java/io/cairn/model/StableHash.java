package io.cairn.model;

import java.nio.charset.StandardCharsets;

/**
 * A well-mixed 64-bit hash that every node and every version of Cairn computes alike (unlike {@code hashCode}, which
 * is 32 bits and poorly mixed for near strings): FNV-1a over the UTF-8 bytes, finished with SplitMix64's mixer.
 * Placement decisions that must agree across nodes use it: which node checks an instance, where a key sits on the
 * proxy's hash ring.
 */
public final class StableHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private StableHash() {
  }

  public static long of(String text) {
    return mix(fnv(FNV_OFFSET, text));
  }

  /** The hash of a pair, with a separator between its parts, so ("ab", "c") and ("a", "bc") differ. */
  public static long of(String first, String second) {
    long h = fnv(FNV_OFFSET, first);
    h = (h ^ 0xff) * FNV_PRIME;
    return mix(fnv(h, second));
  }

  private static long fnv(long h, String text) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * FNV_PRIME;
    }
    return h;
  }

  private static long mix(long h) {
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    h ^= h >>> 31;
    return h;
  }
}
