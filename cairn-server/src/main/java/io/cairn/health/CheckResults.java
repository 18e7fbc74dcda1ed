package io.cairn.health;

import io.cairn.model.CheckOutcome;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The latest run of each instance's check, whichever node ran it: the log records only transitions, so the health
 * room keeps the runs its peers publish here, and the API reads them.
 */
public final class CheckResults {
  private final Map<String, CheckOutcome> latest = new ConcurrentHashMap<>();

  void record(String id, CheckOutcome outcome) {
    latest.put(id, outcome);
  }

  /** Forgets the instances {@code registered} no longer knows. */
  void keepOnly(Predicate<String> registered) {
    latest.keySet().removeIf(registered.negate());
  }

  /** The latest run of the check of instance {@code id}, or null. */
  public CheckOutcome latest(String id) {
    return latest.get(id);
  }
}
