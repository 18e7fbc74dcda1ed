package io.cairn.registry;

import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replica's indexes of its instances, by name, tag, node and health, and the sets of ttl and probed instances.
 * They let a query touch only the smallest candidate set, so a discovery costs in proportion to its result, not to
 * the size of the registry. Written by the applying thread alongside the entries, read by any thread.
 */
final class ReplicaIndexes {
  final Index byName = new Index();
  final Index byTag = new Index();
  final Index byNode = new Index();
  final EnumMap<Health, Set<String>> byHealth = new EnumMap<>(Health.class);
  final Set<String> ttlIds = ConcurrentHashMap.newKeySet();
  final Set<String> probeIds = ConcurrentHashMap.newKeySet();

  ReplicaIndexes() {
    for (Health h : Health.values()) {
      byHealth.put(h, ConcurrentHashMap.newKeySet());
    }
  }

  void add(ServiceEntry entry) {
    byName.add(entry.name(), entry.id());
    for (String tag : entry.tags()) {
      byTag.add(tag, entry.id());
    }
    if (entry.node() != null) {
      byNode.add(entry.node(), entry.id());
    }
    byHealth.get(entry.health()).add(entry.id());
    if (entry.hasTtl()) {
      ttlIds.add(entry.id());
    }
    if (entry.check() != null && !entry.check().isTtl()) {
      probeIds.add(entry.id());
    }
  }

  void remove(ServiceEntry e) {
    byName.remove(e.name(), e.id());
    for (String tag : e.tags()) {
      byTag.remove(tag, e.id());
    }
    if (e.node() != null) {
      byNode.remove(e.node(), e.id());
    }
    byHealth.get(e.health()).remove(e.id());
    ttlIds.remove(e.id());
    probeIds.remove(e.id());
  }

  void clear() {
    byName.clear();
    byTag.clear();
    byNode.clear();
    byHealth.values().forEach(Set::clear);
    ttlIds.clear();
    probeIds.clear();
  }

  /** The smallest index set that holds every match, or null when only a full scan will do. */
  Set<String> candidates(ServiceQuery q) {
    Set<String> best = null;
    if (q.name() != null) {
      best = byName.get(q.name());
    }
    for (String tag : q.tags()) {
      best = smaller(best, byTag.get(tag));
    }
    if (q.node() != null) {
      best = smaller(best, byNode.get(q.node()));
    }
    Health health = q.status().health();
    if (health != null) {
      best = smaller(best, byHealth.get(health));
    }
    return best;
  }

  private static Set<String> smaller(Set<String> a, Set<String> b) {
    return a == null || b.size() < a.size() ? b : a;
  }

  /** A multimap of key to ids whose empty sets disappear, so that it does not grow with churn. */
  static final class Index {
    private final Map<String, Set<String>> sets = new ConcurrentHashMap<>();

    Set<String> get(String key) {
      Set<String> set = sets.get(key);
      return set == null ? Set.of() : set;
    }

    void add(String key, String id) {
      sets.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(id);
    }

    void remove(String key, String id) {
      sets.computeIfPresent(key, (k, set) -> {
        set.remove(id);
        return set.isEmpty() ? null : set;
      });
    }

    int size() {
      return sets.size();
    }

    Set<String> keys() {
      return sets.keySet();
    }

    void clear() {
      sets.clear();
    }
  }
}
