package io.cairn.bridge.redis;

import io.cairn.bridge.Change;
import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the Redis bridge writes, as the ops of {@link RedisScripts#WRITE}: for the change stream, every event
 * published (as the SSE stream sends it) and every service event's instance kept in its name's hash; for a
 * reconcile, what differs between a snapshot and what Redis holds. Pure, apart from one thing it remembers: the name
 * each instance id is stored under, because an id registered again under another name arrives as one event of the
 * new name, and the old name's hash must lose it.
 *
 * <p>A stored value is the instance's JSON as the REST API shows it, with {@code "term"} (the Raft term of the
 * bridge that wrote it) added as its last field, so a reader can tell a stale writer's value. A reconcile compares
 * values without it: a new term alone rewrites nothing.
 */
final class HashPlan {
  private static final Pattern TERM_FIELD = Pattern.compile(",\"term\":\\d+}$");

  /** What an op does; its code is what the script reads. */
  enum Kind {
    PUBLISH("P"), SET("S"), DELETE("D"), DROP("X");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    String code() {
      return code;
    }
  }

  /** One step of the write script: a publish (value: the event), or a change to the hash of {@code name}. */
  record Op(Kind kind, String name, String id, String value) {
    static Op publish(String event) {
      return new Op(Kind.PUBLISH, "", "", event);
    }
  }

  private final long term;
  /** Instance id → the name whose hash holds it. */
  private final Map<String, String> nameOf = new HashMap<>();

  HashPlan(long term) {
    this.term = term;
  }

  /** The ops for these changes, in their order: each change's hash ops, then its event. */
  List<Op> ops(List<Change> changes) {
    List<Op> ops = new ArrayList<>();
    for (Change c : changes) {
      Event e = c.event();
      ServiceEntry s = e.service();
      if (s != null) {
        String stored = nameOf.get(s.id());
        if (e.type() == Event.Type.SERVICE_DEREGISTERED) {
          if (stored != null) {
            nameOf.remove(s.id());
            ops.add(new Op(Kind.DELETE, stored, s.id(), ""));
          }
        } else {
          if (stored != null && !stored.equals(s.name())) {
            ops.add(new Op(Kind.DELETE, stored, s.id(), ""));
          }
          nameOf.put(s.id(), s.name());
          ops.add(new Op(Kind.SET, s.name(), s.id(), value(s)));
        }
      }
      ops.add(Op.publish(ModelJson.encode(e)));
    }
    return ops;
  }

  /** A snapshot's instances by name, then id: what a reconcile makes Redis hold. Starts the names remembered over. */
  Map<String, Map<String, ServiceEntry>> wanted(List<ServiceEntry> services) {
    nameOf.clear();
    Map<String, Map<String, ServiceEntry>> byName = new TreeMap<>();
    for (ServiceEntry s : services) {
      byName.computeIfAbsent(s.name(), n -> new HashMap<>()).put(s.id(), s);
      nameOf.put(s.id(), s.name());
    }
    return byName;
  }

  /**
   * The ops that turn one name's hash from {@code stored} (field → value, as read) into {@code wanted}.
   *
   * @param listed whether the set of names lists it: a name missing from it has every instance written again
   *               (which lists it)
   */
  List<Op> reconcile(String name, Map<String, ServiceEntry> wanted, Map<String, String> stored, boolean listed) {
    List<Op> ops = new ArrayList<>();
    if (wanted.isEmpty()) {
      if (listed || !stored.isEmpty()) {
        ops.add(new Op(Kind.DROP, name, "", ""));
      }
      return ops;
    }
    for (String id : stored.keySet()) {
      if (!wanted.containsKey(id)) {
        ops.add(new Op(Kind.DELETE, name, id, ""));
      }
    }
    for (ServiceEntry s : wanted.values()) {
      String json = json(s);
      String old = stored.get(s.id());
      if (!listed || old == null || !withoutTerm(old).equals(json)) {
        ops.add(new Op(Kind.SET, name, s.id(), withTerm(json)));
      }
    }
    return ops;
  }

  /** The value stored for an instance: its REST JSON plus this bridge's term. */
  String value(ServiceEntry s) {
    return withTerm(json(s));
  }

  private static String json(ServiceEntry s) {
    return new String(ModelJson.bytes(s), StandardCharsets.UTF_8);
  }

  private String withTerm(String json) {
    return json.substring(0, json.length() - 1) + ",\"term\":" + term + "}";
  }

  /** A stored value as it was before its term was added (anything else unchanged: it then differs and is rewritten). */
  static String withoutTerm(String stored) {
    return TERM_FIELD.matcher(stored).replaceFirst("}");
  }
}
