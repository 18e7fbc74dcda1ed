package io.cairn.membership;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.cp.exception.CPGroupDestroyedException;
import com.hazelcast.cp.internal.RaftGroupId;
import com.hazelcast.cp.lock.FencedLock;
import com.hazelcast.cp.lock.exception.LockOwnershipLostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Holds, or competes for, the CP {@link FencedLock} whose holder is the cluster's leader.
 *
 * <p>A FencedLock belongs to a thread (and the CP session of its member), and its Java API blocks, so it lives on a
 * thread of its own rather than on an event loop or a pooled worker. While this node competes, the thread waits
 * for the lock in short rounds; once it holds it, it checks every half second that it still does (the lock is lost
 * when the session is closed: after a long pause, or when the rest of the cluster declared this member dead).
 * Each acquisition yields a fence token, larger than every earlier one; the leader's term is that fence in the lock's
 * CP group, prefixed by the group's generation (see {@link #term}).
 */
final class LeaderLock {
  private static final Logger log = LoggerFactory.getLogger(LeaderLock.class);
  private static final long WAIT_ROUND_MILLIS = 2000;
  private static final long CHECK_EVERY_MILLIS = 500;

  /** Getting the lock blocks until the CP subsystem has formed (Raft needs its members), so it happens here. */
  private final java.util.function.Supplier<FencedLock> lockSource;
  private FencedLock lock;
  private final LongConsumer acquired;
  private final Runnable lost;
  private final Thread thread;
  private volatile boolean competing;
  private volatile boolean running = true;
  /** Set to ask the thread to let go of the lock and take it again (its term turned out stale). */
  private volatile boolean relock;
  private volatile CompletableFuture<Void> released;
  private volatile long term;
  private final Object monitor = new Object();

  /**
   * @param acquired called (on the lock's thread) with the term each time this node takes the lock
   * @param lost     called (on the lock's thread) when this node no longer holds it without having let go
   */
  LeaderLock(java.util.function.Supplier<FencedLock> lockSource, String nodeId, LongConsumer acquired, Runnable lost) {
    this.lockSource = lockSource;
    this.acquired = acquired;
    this.lost = lost;
    this.thread = new Thread(this::run, "cairn-leader-lock-" + nodeId);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Compete for the lock (when this node is caught up), or stop competing. */
  void compete(boolean value) {
    boolean start = value && !competing;
    competing = value;
    if (start) {
      wake();
    }
  }

  /** The term of the current hold (see {@link #term}); 0 when not holding. */
  long term() {
    return term;
  }

  /** Let go of the lock and take it again, for a new, larger term. */
  void relock() {
    relock = true;
  }

  /** Stops competing and lets go of the lock if held; completes once it is released (or was not held). */
  CompletableFuture<Void> stepDown() {
    competing = false;
    CompletableFuture<Void> done = new CompletableFuture<>();
    released = done;
    if (term == 0) {
      // Not holding; a grant racing with this call is given back by the thread, which sees competing == false.
      released = null;
      done.complete(null);
    }
    wake();
    return done;
  }

  void stop() {
    running = false;
    competing = false;
    wake();
  }

  private void wake() {
    synchronized (monitor) {
      monitor.notifyAll();
    }
  }

  private void run() {
    while (running) {
      try {
        if (lock == null) {
          lock = lockSource.get();
        }
        if (term == 0) {
          releaseDone();
          if (!competing) {
            sleepQuietly(1000);
            continue;
          }
          long f = lock.tryLockAndGetFence(WAIT_ROUND_MILLIS, TimeUnit.MILLISECONDS);
          if (f != FencedLock.INVALID_FENCE) {
            if (!competing) {
              lock.unlock();
              continue;
            }
            term = term(lock, f);
            acquired.accept(term);
          }
        } else if (!competing || relock) {
          relock = false;
          term = 0;
          unlockQuietly();
        } else {
          if (!lock.isLockedByCurrentThread()) {
            term = 0;
            lost.run();
          } else {
            sleepQuietly(CHECK_EVERY_MILLIS);
          }
        }
      } catch (LockOwnershipLostException e) {
        term = 0;
        lost.run();
      } catch (CPGroupDestroyedException e) {
        // The CP subsystem was reset (RaftRecovery): the lock lives in a new group now, and whatever was held in the
        // old one is gone.
        lock = null;
        if (term != 0) {
          term = 0;
          lost.run();
        }
      } catch (HazelcastInstanceNotActiveException e) {
        term = 0;
        releaseDone();
        return;
      } catch (RuntimeException e) {
        // The CP subsystem may still be forming (Raft needs its members) or be unreachable from a minority.
        log.debug("Leader lock unavailable: {}", e.toString());
        sleepQuietly(500);
      }
    }
    releaseDone();
  }

  /**
   * The leader's term for a fence. Fences count up within one CP group, and a CP subsystem reset starts new groups
   * whose fences count from 1 again; the group's seed (0 at first, the reset's time in milliseconds after a reset)
   * goes in the high bits, so every term after a reset is larger than every term before it.
   */
  static long term(FencedLock lock, long fence) {
    long seedSeconds = lock.getGroupId() instanceof RaftGroupId id ? id.getSeed() / 1000 : 0;
    return (seedSeconds << 32) + fence;
  }

  private void unlockQuietly() {
    try {
      lock.unlock();
    } catch (RuntimeException e) {
      // Not held any more (the session closed): nothing to release.
    }
  }

  private void releaseDone() {
    CompletableFuture<Void> r = released;
    if (r != null && term == 0) {
      released = null;
      r.complete(null);
    }
  }

  /** Waits, or less if woken by a change (step down, stop); never interrupts a Hazelcast call under way. */
  private void sleepQuietly(long millis) {
    synchronized (monitor) {
      try {
        monitor.wait(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running = false;
      }
    }
  }
}
