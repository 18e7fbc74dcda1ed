package io.cairn.membership;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
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
 * Each acquisition yields a fence token, larger than every earlier one: the leader's term.
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
  /** Set to ask the thread to let go of the lock and take it again (our fence turned out stale). */
  private volatile boolean relock;
  private volatile CompletableFuture<Void> released;
  private volatile long fence;
  private final Object monitor = new Object();

  /**
   * @param acquired called (on the lock's thread) with the fence each time this node takes the lock
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

  /** The fence of the current hold; 0 when not holding. */
  long fence() {
    return fence;
  }

  /** Let go of the lock and take it again, for a new, larger fence. */
  void relock() {
    relock = true;
  }

  /** Stops competing and lets go of the lock if held; completes once it is released (or was not held). */
  CompletableFuture<Void> stepDown() {
    competing = false;
    CompletableFuture<Void> done = new CompletableFuture<>();
    released = done;
    if (fence == 0) {
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
        if (fence == 0) {
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
            fence = f;
            acquired.accept(f);
          }
        } else if (!competing || relock) {
          relock = false;
          fence = 0;
          unlockQuietly();
        } else {
          if (!lock.isLockedByCurrentThread()) {
            fence = 0;
            lost.run();
          } else {
            sleepQuietly(CHECK_EVERY_MILLIS);
          }
        }
      } catch (LockOwnershipLostException e) {
        fence = 0;
        lost.run();
      } catch (HazelcastInstanceNotActiveException e) {
        fence = 0;
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

  private void unlockQuietly() {
    try {
      lock.unlock();
    } catch (RuntimeException e) {
      // Not held any more (the session closed): nothing to release.
    }
  }

  private void releaseDone() {
    CompletableFuture<Void> r = released;
    if (r != null && fence == 0) {
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
