package io.cairn.bridge.etcd;

import io.cairn.api.ImportOperations;
import io.cairn.bridge.BridgeVerticle;
import io.cairn.bridge.FencedOut;
import io.cairn.config.BridgeSettings;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ValidationException;
import io.cairn.node.BridgeBoard;
import io.cairn.node.NodeState;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code etcd-import} bridge: instances kept in etcd the old way (Proxy-Stone's documents, or Cairn's own shape)
 * registered into Cairn, as {@code source: etcd:{id}} with the TTL of their key's lease, and kept current with an
 * etcd watch. A session lists the prefix at one etcd revision and makes Cairn's imported instances equal to it
 * (registering what is new or changed, stating health, deregistering what etcd no longer has), then watches from the
 * next revision. A later session on the same node resumes the watch from the last revision it applied; one that
 * finds it compacted away, or a bridge that moved to another node, lists and reconciles again.
 *
 * <p>While a key exists, its instance heartbeats (every third of its TTL) unless its document says it does not serve;
 * when the key goes (deleted, or its lease expired or revoked), the watch deregisters it at once. Writes into Cairn
 * carry the node's Raft term: a node that lost the lead has them refused by every replica. A value the import cannot
 * use is skipped with one warning naming its key; a key Cairn's own export wrote is never brought back.
 */
public final class EtcdImportBridge extends BridgeVerticle {
  private static final Logger log = LoggerFactory.getLogger(EtcdImportBridge.class);
  private static final long HEARTBEAT_SCAN_MILLIS = 1_000;

  private final BridgeSettings.Etcd etcd;
  private final ImportOperations imports;
  private final ImportedDocuments documents;
  private final String source;
  /** Keys warned about, with the modification revision of the value warned about: one warning per bad value. */
  private final Map<String, Long> warned = new HashMap<>();
  /** The last etcd revision this node applied in its current turn, to resume the watch from; 0: list first. */
  private long appliedRevision;
  /** The term of the turn that applied it: a later turn lists again (Cairn's imported set may have moved on). */
  private long appliedTerm;
  private ImportSession session;
  /**
   * Imported ids that heartbeat (their key lives and its document says it serves): their TTL and when they last did.
   * Kept for the turn, like {@link #appliedRevision}: a session that resumes the watch goes on beating them.
   */
  private final Map<String, long[]> beating = new HashMap<>();

  public EtcdImportBridge(BridgeSettings.Etcd settings, NodeState node, Replica replica, BridgeBoard board,
                          ImportOperations imports) {
    super(settings, node, replica, board);
    this.etcd = settings;
    this.imports = imports;
    this.documents = new ImportedDocuments(settings);
    this.source = ImportedDocuments.source(settings.id());
  }

  @Override
  protected Future<Session> connect(long term, Consumer<Throwable> failed) {
    ImportSession s = new ImportSession(term, failed);
    return s.start().<Session>map(v -> {
      session = s;
      return s;
    }).recover(e -> s.close().transform(v -> Future.failedFuture(e)));
  }

  @Override
  protected Progress progress() {
    ImportSession s = session;
    if (s == null) {
      return new Progress(appliedRevision, 0, 0);
    }
    long now = System.currentTimeMillis();
    return new Progress(appliedRevision, Math.max(0, s.headRevision - appliedRevision),
        s.pending.isEmpty() && !s.applying ? 0 : now - s.oldestPendingAt);
  }

  /** The instances this bridge imported, as Cairn holds them now. */
  private Map<String, ServiceEntry> imported() {
    Map<String, ServiceEntry> ours = new HashMap<>();
    for (ServiceEntry e : replica.entries()) {
      if (source.equals(e.metadata().get("source"))) {
        ours.put(e.id(), e);
      }
    }
    return ours;
  }

  /** One connection to etcd: a listing or a resumed watch, then the watch's changes applied one response at a time. */
  private final class ImportSession implements Session {
    final long term;
    final Consumer<Throwable> failed;
    final EtcdClient client;
    final ArrayDeque<EtcdWatch.Events> pending = new ArrayDeque<>();
    /** Lease id → the TTL it was granted, in seconds. */
    final Map<Long, Long> leaseTtls = new HashMap<>();
    EtcdWatch watch;
    long heartbeatTimer = -1;
    long headRevision;
    long oldestPendingAt;
    boolean applying;
    boolean closed;

    ImportSession(long term, Consumer<Throwable> failed) {
      this.term = term;
      this.failed = failed;
      this.client = new EtcdClient(vertx, etcd.connection());
    }

    Future<Void> start() {
      boolean resumable = appliedRevision > 0 && appliedTerm == term;
      appliedTerm = term;
      return client.connect().compose(v -> resumable ? resume() : listAndReconcile())
          .onSuccess(v -> heartbeatTimer = vertx.setPeriodic(HEARTBEAT_SCAN_MILLIS, id -> heartbeat()));
    }

    /**
     * The whole prefix at one revision, made Cairn's imported set; the watch then starts after it. What Cairn holds
     * that etcd lacks is deregistered.
     */
    Future<Void> listAndReconcile() {
      beating.clear();
      return client.range(ImportedDocuments.servicesPrefix(etcd)).compose(listing ->
          leaseTtls(listing.kvs()).compose(v -> {
            Map<String, ImportPlan.Wanted> wanted = new LinkedHashMap<>();
            for (KeyValue kv : listing.kvs()) {
              ImportPlan.Wanted w = wanted(kv);
              if (w != null) {
                wanted.put(w.entry().id(), w);
              }
            }
            Set<String> gone = new HashSet<>(imported().keySet());
            gone.removeAll(wanted.keySet());
            return apply(new ArrayList<>(wanted.values()), new ArrayList<>(gone)).map(listing.revision());
          })).compose(revision -> {
            appliedRevision = revision;
            headRevision = Math.max(headRevision, revision);
            return startWatch(revision + 1);
          });
    }

    /** The watch from where this node left off; compacted away meanwhile, a listing after all. */
    Future<Void> resume() {
      return startWatch(appliedRevision + 1);
    }

    Future<Void> startWatch(long from) {
      return client.watch(ImportedDocuments.servicesPrefix(etcd), from, this::received, this::watchEnded)
          .onSuccess(w -> watch = w).mapEmpty();
    }

    void watchEnded(Throwable why) {
      if (closed) {
        return;
      }
      if (why instanceof EtcdCompacted) {
        // Outside etcd's history: what changed meanwhile is found by listing again.
        appliedRevision = 0;
      }
      failed.accept(why);
    }

    void received(EtcdWatch.Events response) {
      if (closed) {
        return;
      }
      headRevision = Math.max(headRevision, response.revision());
      if (response.progress()) {
        if (pending.isEmpty() && !applying) {
          appliedRevision = Math.max(appliedRevision, response.revision());
        }
        return;
      }
      if (pending.isEmpty()) {
        oldestPendingAt = System.currentTimeMillis();
      }
      pending.addLast(response);
      applyNext();
    }

    /** The watch's responses, in order, one at a time: each one entry of the log (or a few, when it is large). */
    void applyNext() {
      if (applying || closed || pending.isEmpty()) {
        return;
      }
      EtcdWatch.Events response = pending.pollFirst();
      applying = true;
      List<KeyValue> puts = new ArrayList<>();
      for (Event e : response.events()) {
        puts.add(e.getKv());
      }
      leaseTtls(puts).compose(v -> {
        // The last event of a key wins: a response may carry several of one key.
        Map<String, ImportPlan.Wanted> wanted = new LinkedHashMap<>();
        Set<String> gone = new HashSet<>();
        for (Event e : response.events()) {
          String key = e.getKv().getKey().toStringUtf8();
          String id = documents.idOf(key);
          if (e.getType() == Event.EventType.DELETE) {
            if (id != null) {
              wanted.remove(id);
              gone.add(id);
            }
            continue;
          }
          ImportPlan.Wanted w = wanted(e.getKv());
          if (w != null) {
            wanted.put(w.entry().id(), w);
            gone.remove(w.entry().id());
          } else if (id != null && ourInstance(id) != null) {
            // A key that no longer reads as an instance (garbage now, or Cairn's export took it over) is not one.
            gone.add(id);
          }
        }
        return apply(new ArrayList<>(wanted.values()), new ArrayList<>(gone));
      }).onComplete(ar -> {
        applying = false;
        if (closed) {
          return;
        }
        if (ar.failed()) {
          failed.accept(ar.cause());
          return;
        }
        appliedRevision = Math.max(appliedRevision, response.revision());
        oldestPendingAt = System.currentTimeMillis();
        applyNext();
      });
    }

    /** The TTLs of the leases these keys are under that this session has not asked about yet. */
    Future<Void> leaseTtls(List<KeyValue> kvs) {
      List<Future<?>> asks = new ArrayList<>();
      for (KeyValue kv : kvs) {
        long lease = kv.getLease();
        if (lease != 0 && !leaseTtls.containsKey(lease)) {
          leaseTtls.put(lease, 0L);
          asks.add(client.leaseTimeToLive(lease).onSuccess(r -> leaseTtls.put(lease, Math.max(0, r.getGrantedTTL()))));
        }
      }
      return Future.all(asks).mapEmpty();
    }

    /** What a key asks of Cairn, or null: skipped (with a warning, once per value) or Cairn's own export's. */
    ImportPlan.Wanted wanted(KeyValue kv) {
      String key = kv.getKey().toStringUtf8();
      long ttl = kv.getLease() == 0 ? 0 : leaseTtls.getOrDefault(kv.getLease(), 0L);
      ImportedDocuments.Reading reading = documents.read(key, kv.getValue().toByteArray(), ttl);
      if (reading instanceof ImportedDocuments.Exported) {
        return null;
      }
      if (reading instanceof ImportedDocuments.Unusable u) {
        warnOnce(key, kv.getModRevision(), u.reason());
        return null;
      }
      ImportedDocuments.Instance instance = (ImportedDocuments.Instance) reading;
      ServiceEntry entry;
      try {
        entry = imports.parse(instance.registration());
      } catch (ValidationException e) {
        warnOnce(key, kv.getModRevision(), e.getMessage() + (e.field() == null ? "" : " (" + e.field() + ")"));
        return null;
      }
      ServiceEntry existing = replica.get(entry.id());
      if (existing != null && !source.equals(existing.metadata().get("source"))) {
        warnOnce(key, kv.getModRevision(), "instance '" + entry.id() + "' is registered in Cairn, not by this "
            + "bridge; the import leaves it alone");
        return null;
      }
      return new ImportPlan.Wanted(entry, instance.healthy());
    }

    ServiceEntry ourInstance(String id) {
      ServiceEntry e = replica.get(id);
      return e != null && source.equals(e.metadata().get("source")) ? e : null;
    }

    /**
     * Writes what the documents ask (see {@link ImportPlan}), each entry fenced by this session's term, and keeps
     * beating the instances whose keys live and serve.
     */
    Future<Void> apply(List<ImportPlan.Wanted> wanted, List<String> gone) {
      for (ImportPlan.Wanted w : wanted) {
        if (w.healthy() && w.entry().ttlMillis() > 0) {
          beating.put(w.entry().id(), new long[] {w.entry().ttlMillis(), System.currentTimeMillis()});
        } else {
          beating.remove(w.entry().id());
        }
      }
      gone.forEach(beating::remove);
      Future<Void> done = Future.succeededFuture();
      for (ImportPlan.Chunk chunk : ImportPlan.plan(wanted, gone, this::ourInstance)) {
        done = done.compose(v -> write(chunk));
      }
      return done;
    }

    /** One entry of the log; a command refused for its stale term means another node imports now. */
    Future<Void> write(ImportPlan.Chunk chunk) {
      String reason = "etcd (bridge " + etcd.id() + ") says so";
      return imports.write(term, chunk.registrations(), chunk.health(), reason, chunk.deregistrations())
          .compose(outcomes -> {
            for (Outcome o : outcomes) {
              if (o.status() == Outcome.Status.STALE_TERM) {
                return Future.failedFuture(new FencedOut("Cairn's log refused an import of term " + term
                    + ": another node leads now"));
              }
            }
            return Future.succeededFuture();
          });
    }

    /** Heartbeats of the imported instances whose third of a TTL went by: their keys are still there. */
    void heartbeat() {
      long now = System.currentTimeMillis();
      for (Map.Entry<String, long[]> e : beating.entrySet()) {
        long[] beat = e.getValue();
        if (now - beat[1] >= beat[0] / 3) {
          beat[1] = now;
          try {
            imports.heartbeat(e.getKey());
          } catch (RuntimeException gone) {
            // Deregistered meanwhile (an operator, or deregisterAfter): the next change of its key registers it again.
          }
        }
      }
    }

    @Override
    public Future<Void> close() {
      closed = true;
      if (session == this) {
        session = null;
      }
      if (heartbeatTimer >= 0) {
        vertx.cancelTimer(heartbeatTimer);
      }
      pending.clear();
      if (watch != null) {
        watch.cancel();
      }
      return client.close();
    }
  }

  private void warnOnce(String key, long modRevision, String reason) {
    if (!Objects.equals(warned.put(key, modRevision), modRevision)) {
      log.warn("Bridge {} skips etcd key {}: {}", etcd.id(), key, reason);
    }
  }
}
