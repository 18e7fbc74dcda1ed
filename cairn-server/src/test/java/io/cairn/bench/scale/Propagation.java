package io.cairn.bench.scale;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a write takes to reach the last of the clients that follow its service name: from the moment the
 * writer has the write's answer (its revision) to the moment the last watcher of that name has an event at that
 * revision or later, and separately the last blocking query of that name has an answer at that revision or later.
 *
 * <p>Every client that follows a name is an {@link Observer}: it reports each revision it learns (an event's
 * revision, a blocking answer's index) as it arrives. A client may hear of a write before its writer has the answer
 * (another node applies it first); it then counts as 0. Observations are kept per observer in a short ring, so that
 * an answer that comes late still finds when each observer first saw its revision.
 */
final class Propagation {
  /** The two families measured apart: streams, and reads that wait. */
  enum Family { WATCH, BLOCKING }

  /** How a client follows a name. */
  enum Transport {
    SSE(Family.WATCH), WEBSOCKET(Family.WATCH), GRPC(Family.WATCH), REST(Family.BLOCKING), CONSUL(Family.BLOCKING);

    final Family family;

    Transport(Family family) {
      this.family = family;
    }
  }

  /** A write still waiting for some of its observers is given up after this long, and counted as undelivered. */
  static final long GIVE_UP_NANOS = 10_000_000_000L;
  private static final int RING = 16;

  private final NameTrack[] names;
  private final Map<Family, Histogram> byFamily = new EnumMap<>(Family.class);
  private final Map<Transport, Histogram> byTransport = new EnumMap<>(Transport.class);
  private final Map<Family, AtomicLong> undelivered = new EnumMap<>(Family.class);
  private final AtomicLong measuredWrites = new AtomicLong();

  Propagation(int nameCount) {
    names = new NameTrack[nameCount];
    for (int i = 0; i < nameCount; i++) {
      names[i] = new NameTrack();
    }
    for (Family f : Family.values()) {
      byFamily.put(f, new Histogram(3_600_000_000L, 3));
      undelivered.put(f, new AtomicLong());
    }
    for (Transport t : Transport.values()) {
      byTransport.put(t, new Histogram(3_600_000_000L, 3));
    }
  }

  /** A client following name {@code name}; make them all before the first write. */
  Observer observer(int name, Transport transport) {
    return names[name].add(transport);
  }

  /** The write to {@code name} was answered with {@code revision} at {@code answeredAt} (nanoTime). */
  void answered(int name, long revision, long answeredAt) {
    measuredWrites.incrementAndGet();
    names[name].answered(revision, answeredAt);
  }

  /** Gives up the writes answered more than {@link #GIVE_UP_NANOS} ago; returns how many are still waiting. */
  int expire(long now) {
    int waiting = 0;
    for (NameTrack t : names) {
      waiting += t.expire(now);
    }
    return waiting;
  }

  long measuredWrites() {
    return measuredWrites.get();
  }

  /** Propagation to the last observer of each write, in microseconds (a copy). */
  Histogram family(Family f) {
    synchronized (byFamily) {
      return byFamily.get(f).copy();
    }
  }

  Histogram transport(Transport t) {
    synchronized (byFamily) {
      return byTransport.get(t).copy();
    }
  }

  long undelivered(Family f) {
    return undelivered.get(f).get();
  }

  private void record(Family f, long micros) {
    synchronized (byFamily) {
      byFamily.get(f).recordValue(micros);
    }
  }

  private void record(Transport t, long micros) {
    synchronized (byFamily) {
      byTransport.get(t).recordValue(micros);
    }
  }

  /** One client following one name: call {@link #saw} with each revision it learns, in the order it learns them. */
  final class Observer {
    private final NameTrack track;
    private final int slot;
    final Transport transport;
    private final long[] revisions = new long[RING];
    private final long[] times = new long[RING];
    private int next;
    private int size;

    private Observer(NameTrack track, int slot, Transport transport) {
      this.track = track;
      this.slot = slot;
      this.transport = transport;
    }

    void saw(long revision) {
      track.observe(this, revision, System.nanoTime());
    }

    /** When this observer first learned a revision at or after {@code revision}, or -1. */
    private long firstAtOrAfter(long revision) {
      for (int k = 0; k < size; k++) {
        int i = Math.floorMod(next - size + k, RING);
        if (revisions[i] >= revision) {
          return times[i];
        }
      }
      return -1;
    }

    private void remember(long revision, long at) {
      revisions[next] = revision;
      times[next] = at;
      next = (next + 1) % RING;
      size = Math.min(RING, size + 1);
    }
  }

  /** One write on its way to the observers of its name. */
  private static final class Pending {
    final long revision;
    final long answeredAt;
    final boolean[] seen;
    final Map<Transport, int[]> left = new EnumMap<>(Transport.class);
    final Map<Transport, long[]> last = new EnumMap<>(Transport.class);
    final Map<Family, int[]> familyLeft = new EnumMap<>(Family.class);
    final Map<Family, long[]> familyLast = new EnumMap<>(Family.class);

    Pending(long revision, long answeredAt, List<Observer> observers) {
      this.revision = revision;
      this.answeredAt = answeredAt;
      this.seen = new boolean[observers.size()];
      for (Observer o : observers) {
        left.computeIfAbsent(o.transport, t -> new int[1])[0]++;
        last.computeIfAbsent(o.transport, t -> new long[] {answeredAt});
        familyLeft.computeIfAbsent(o.transport.family, f -> new int[1])[0]++;
        familyLast.computeIfAbsent(o.transport.family, f -> new long[] {answeredAt});
      }
    }

    boolean complete() {
      return familyLeft.values().stream().allMatch(n -> n[0] == 0);
    }
  }

  /** The observers of one name and its writes in flight; every call under its lock. */
  private final class NameTrack {
    private final List<Observer> observers = new ArrayList<>();
    private final List<Pending> pending = new ArrayList<>();

    synchronized Observer add(Transport transport) {
      Observer o = new Observer(this, observers.size(), transport);
      observers.add(o);
      return o;
    }

    synchronized void answered(long revision, long answeredAt) {
      if (observers.isEmpty()) {
        return;
      }
      Pending p = new Pending(revision, answeredAt, observers);
      for (Observer o : observers) {
        long at = o.firstAtOrAfter(revision);
        if (at >= 0) {
          mark(p, o, at);
        }
      }
      if (!p.complete()) {
        pending.add(p);
      }
    }

    synchronized void observe(Observer o, long revision, long at) {
      o.remember(revision, at);
      for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
        Pending p = it.next();
        if (p.revision <= revision && !p.seen[o.slot]) {
          mark(p, o, at);
          if (p.complete()) {
            it.remove();
          }
        }
      }
    }

    /** Observer {@code o} has write {@code p} since {@code at}; records each transport and family it completes. */
    private void mark(Pending p, Observer o, long at) {
      p.seen[o.slot] = true;
      Transport t = o.transport;
      long[] last = p.last.get(t);
      last[0] = Math.max(last[0], at);
      if (--p.left.get(t)[0] == 0) {
        record(t, (last[0] - p.answeredAt) / 1000);
      }
      long[] familyLast = p.familyLast.get(t.family);
      familyLast[0] = Math.max(familyLast[0], at);
      if (--p.familyLeft.get(t.family)[0] == 0) {
        record(t.family, (familyLast[0] - p.answeredAt) / 1000);
      }
    }

    synchronized int expire(long now) {
      for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
        Pending p = it.next();
        if (now - p.answeredAt > GIVE_UP_NANOS) {
          p.familyLeft.forEach((f, n) -> {
            if (n[0] > 0) {
              undelivered.get(f).incrementAndGet();
            }
          });
          it.remove();
        }
      }
      return pending.size();
    }
  }
}
