package io.cairn.api;

import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.registry.Replica;
import io.vertx.core.buffer.Buffer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Encoded discovery answers, keyed by the query as the client wrote it. An answer stays valid while
 * {@link Replica#revisionFor} is unchanged: for a query by name, until an instance of that name changes, however
 * busy the rest of the registry is. Hot queries therefore cost a map lookup and a copy of bytes.
 */
public final class QueryCache {
  private final Replica replica;
  private final int maxEntries;
  private final Map<String, Cached> answers = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  public QueryCache(Replica replica, int maxEntries) {
    this.replica = replica;
    this.maxEntries = maxEntries;
  }

  /**
   * The cache key of a question another API than REST asks (DNS, Consul, REST's blocking reads): {@code api}, a
   * space, and the question. REST's keys are raw query strings, which never hold a space (it ends the request
   * line), so no REST query can be served another API's answer.
   */
  public static String key(String api, String question) {
    return api + " " + question;
  }

  /** The cached answer for this raw query string, if still valid. */
  public Answer lookup(String rawQuery) {
    Cached c = answers.get(rawQuery);
    if (c != null && c.validAt == replica.revisionFor(c.query)) {
      hits.increment();
      return c.answer;
    }
    return null;
  }

  /** Runs the query on the replica and caches the encoded answer under {@code rawQuery} (when not null). */
  public Answer compute(String rawQuery, ServiceQuery query) {
    misses.increment();
    long validAt = replica.revisionFor(query);
    List<ServiceEntry> result = replica.query(query);
    Answer answer = new Answer(query, result);
    if (rawQuery != null && maxEntries > 0) {
      if (answers.size() >= maxEntries) {
        // Crude but bounded: a registry with that many distinct live queries rebuilds its cache from scratch.
        answers.clear();
      }
      answers.put(rawQuery, new Cached(query, validAt, answer));
    }
    return answer;
  }

  public int size() {
    return answers.size();
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public void clear() {
    answers.clear();
  }

  /**
   * The instances of an answer, and their JSON array, already encoded; other encodings (gRPC's) are made once per
   * answer too, on first use.
   */
  public static final class Answer {
    private final ServiceQuery query;
    private final Buffer services;
    private final List<ServiceEntry> entries;
    private volatile Object otherForm;

    Answer(ServiceQuery query, List<ServiceEntry> entries) {
      this.query = query;
      this.services = Buffer.buffer(ModelJson.bytes(entries));
      this.entries = entries;
    }

    /** The query this answers. */
    public ServiceQuery query() {
      return query;
    }

    /** The same answer with only the instances {@code keep} accepts (itself when it accepts them all). */
    Answer narrowed(Predicate<ServiceEntry> keep) {
      List<ServiceEntry> kept = entries.stream().filter(keep).toList();
      return kept.size() == entries.size() ? this : new Answer(query, kept);
    }

    public Buffer services() {
      return services;
    }

    public int count() {
      return entries.size();
    }

    public List<ServiceEntry> entries() {
      return entries;
    }

    /** The answer in another encoding, made by {@code encode} the first time and kept with the answer. */
    @SuppressWarnings("unchecked")
    public <T> T encoded(Function<List<ServiceEntry>, T> encode) {
      Object form = otherForm;
      if (form == null) {
        form = encode.apply(entries);
        otherForm = form;
      }
      return (T) form;
    }
  }

  private record Cached(ServiceQuery query, long validAt, Answer answer) {
  }
}
