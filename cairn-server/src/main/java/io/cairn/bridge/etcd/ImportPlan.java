package io.cairn.bridge.etcd;

import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an import must write to make Cairn's imported instances what etcd says: the registrations that are new or
 * changed, the health to state where Cairn's differs from the document's, the deregistrations of what is gone; cut
 * into entries of the log of at most {@link #CHUNK} commands. Pure: it reads Cairn's instances through a lookup.
 */
final class ImportPlan {
  /** Commands per entry of the log: a large etcd listing is registered in several. */
  static final int CHUNK = 500;

  /** What one key asks of Cairn: the instance, and whether its document says it serves. */
  record Wanted(ServiceEntry entry, boolean healthy) {
  }

  /** One entry's worth of commands. */
  record Chunk(List<ServiceEntry> registrations, Map<String, Health> health, List<String> deregistrations) {
  }

  private ImportPlan() {
  }

  /**
   * The chunks to write, in order: registrations, then health, then deregistrations.
   *
   * @param ours this bridge's instance of an id as Cairn holds it now, or null
   */
  static List<Chunk> plan(List<Wanted> wanted, List<String> gone, Function<String, ServiceEntry> ours) {
    Chunks chunks = new Chunks();
    Map<String, Health> health = new LinkedHashMap<>();
    for (Wanted w : wanted) {
      ServiceEntry existing = ours.apply(w.entry().id());
      if (existing == null || !sameRegistration(existing, w.entry())) {
        chunks.next().registrations().add(w.entry());
      }
      // What the registration leaves: a new or changed definition starts over from its initial health.
      Health after = existing == null || !existing.sameDefinition(w.entry()) ? w.entry().initialHealth()
          : existing.health();
      boolean serving = after == Health.HEALTHY || after == Health.DEGRADED;
      if (w.healthy() != serving) {
        health.put(w.entry().id(), w.healthy() ? Health.HEALTHY : Health.UNHEALTHY);
      }
    }
    health.forEach((id, h) -> chunks.next().health().put(id, h));
    for (String id : gone) {
      if (ours.apply(id) != null) {
        chunks.next().deregistrations().add(id);
      }
    }
    return chunks.all;
  }

  /** Chunks filled one command at a time, a new one when the last is full. */
  private static final class Chunks {
    final List<Chunk> all = new ArrayList<>();
    int inLast = CHUNK;

    Chunk next() {
      if (inLast == CHUNK) {
        all.add(new Chunk(new ArrayList<>(), new LinkedHashMap<>(), new ArrayList<>()));
        inLast = 0;
      }
      inLast++;
      return all.get(all.size() - 1);
    }
  }

  /** Everything a registration sets, compared (sameDefinition leaves out what does not change health). */
  static boolean sameRegistration(ServiceEntry a, ServiceEntry b) {
    return a.sameDefinition(b) && Objects.equals(a.version(), b.version()) && a.tags().equals(b.tags())
        && a.metadata().equals(b.metadata()) && Objects.equals(a.region(), b.region())
        && Objects.equals(a.zone(), b.zone()) && a.weight() == b.weight();
  }
}
