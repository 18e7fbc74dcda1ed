package io.cairn.gateway;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts events over the last {@code buckets} buckets of {@code bucketMillis}, the current one included, without
 * locks: each slot packs its bucket number (the low 32 bits of it, high half) with its count (low half), so that
 * moving a slot to a new bucket and counting in it is one compare-and-set, and no count is lost to a reset racing an
 * increment.
 */
final class SlidingWindow {
  private static final long COUNT = 0xffff_ffffL;

  private final AtomicLongArray slots;
  private final long bucketMillis;

  SlidingWindow(int buckets, long bucketMillis) {
    if (buckets < 1 || bucketMillis < 1) {
      throw new IllegalArgumentException("a window needs at least one bucket of at least 1 ms");
    }
    this.slots = new AtomicLongArray(buckets);
    this.bucketMillis = bucketMillis;
  }

  /** Counts one event at {@code now}; returns its bucket, which {@link #undo} takes. */
  int add(long now) {
    int bucket = bucket(now);
    int i = Math.floorMod(bucket, slots.length());
    while (true) {
      long v = slots.get(i);
      long next = (int) (v >>> 32) == bucket ? v + 1 : pack(bucket, 1);
      if (slots.compareAndSet(i, v, next)) {
        return bucket;
      }
    }
  }

  /** Takes back an event {@link #add} counted in {@code bucket}; nothing once that bucket has been reused. */
  void undo(int bucket) {
    int i = Math.floorMod(bucket, slots.length());
    while (true) {
      long v = slots.get(i);
      if ((int) (v >>> 32) != bucket || (v & COUNT) == 0) {
        return;
      }
      if (slots.compareAndSet(i, v, v - 1)) {
        return;
      }
    }
  }

  long sum(long now) {
    int current = bucket(now);
    long sum = 0;
    for (int i = 0; i < slots.length(); i++) {
      long v = slots.get(i);
      // int subtraction, so that the age is right across the wrap of the truncated bucket number
      int age = current - (int) (v >>> 32);
      if (age >= 0 && age < slots.length()) {
        sum += v & COUNT;
      }
    }
    return sum;
  }

  /** The time {@link #sum} covers: the full buckets behind the current one and the part of it already gone. */
  long coveredMillis(long now) {
    return (slots.length() - 1) * bucketMillis + Math.floorMod(now, bucketMillis) + 1;
  }

  private int bucket(long now) {
    return (int) Math.floorDiv(now, bucketMillis);
  }

  private static long pack(int bucket, long count) {
    return ((long) bucket << 32) | count;
  }
}
