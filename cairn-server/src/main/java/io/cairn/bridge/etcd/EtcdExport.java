package io.cairn.bridge.etcd;

import io.cairn.bridge.Change;
import io.cairn.bridge.FencedOut;
import io.cairn.bridge.MirrorTarget;
import io.cairn.config.BridgeSettings;
import io.cairn.model.Event;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The etcd export ({@code type: etcd-export}): Cairn's instances as keys under {@code {prefix}/services/}
 * ({@link ExportDocuments} says which keys and values), all under one lease the bridge keeps alive, so that when no
 * node runs the bridge any more the keys expire rather than lie. Its bookkeeping lies under {@code {prefix}/_cairn/}:
 * <ul>
 *   <li>{@code term}: the fence, the Raft term of the node that holds the bridge, as a zero-padded 20-digit decimal
 *       (etcd compares values byte by byte, so that orders it); not under the lease, so that it outlives every
 *       session. {@link #open} raises it to this node's term, and fails with {@link FencedOut} when it holds a
 *       newer one; every write is a transaction that first compares it with this node's term, so a former leader's
 *       late write is refused, never mixed in;</li>
 *   <li>{@code revision}: how far the mirror got in Cairn's change stream ({@link Change#position()}), put in the
 *       same transaction as the changes it covers, under the lease;</li>
 *   <li>{@code lease}: the lease's id, under the lease itself, so that a bridge that moves to another node keeps
 *       the lease alive there (and its keys with it) instead of writing everything anew.</li>
 * </ul>
 * etcd refuses a transaction of more than 128 operations ({@code --max-txn-ops}) or one that names a key twice: a
 * write goes in transactions of at most {@value #MAX_KEY_OPS} key operations plus the {@code revision} put, each
 * instance's changes within one collapsed into its last state. What etcd already holds with an equal document
 * under the same lease is not written again. Keys under {@code {prefix}/services/} that another writer made (no
 * {@code bridge} mark of this bridge) are left alone.
 */
public final class EtcdExport implements MirrorTarget {
  /** Key operations per transaction: etcd's default limit of 128, less the put of the position. */
  static final int MAX_KEY_OPS = 127;
  private static final Logger log = LoggerFactory.getLogger(EtcdExport.class);

  private final Vertx vertx;
  private final BridgeSettings.Etcd settings;
  private final ExportDocuments documents;
  private final String termKey;
  private final String revisionKey;
  private final String leaseKey;

  private EtcdClient client;
  private long term;
  /** The term as the fence holds it. */
  private String fence;
  private long lease;
  private LeaseKeepAlive keepAlive;
  /** A failure found between writes (the lease lost), and who hears of it. */
  private Throwable broken;
  private Consumer<Throwable> brokenListener;
  /** What this bridge's keys under {prefix}/services/ hold, as far as it knows: key → document and lease. */
  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, String> keyOfId = new HashMap<>();

  private record Held(JsonObject document, long lease) {
  }

  /** A key to put with this document, or (document null) to delete. */
  private record KeyOp(String key, JsonObject document) {
  }

  /** Where an instance should be after a change: its key and document, or (key null) nowhere. */
  private record Wanted(String id, String key, JsonObject document) {
  }

  /** @param bridges every configured bridge: an etcd import from the same prefix is never exported back */
  public EtcdExport(Vertx vertx, BridgeSettings.Etcd settings, List<BridgeSettings.Bridge> bridges) {
    this.vertx = vertx;
    this.settings = settings;
    this.documents = new ExportDocuments(settings, bridges);
    String bookkeeping = settings.prefix() + "/_cairn/";
    this.termKey = bookkeeping + "term";
    this.revisionKey = bookkeeping + "revision";
    this.leaseKey = bookkeeping + "lease";
  }

  /** The fence's spelling of a term: 20 digits, enough for any long, so that byte order is numeric order. */
  static String fence(long term) {
    return String.format("%020d", term);
  }

  @Override
  public Future<String> open(long term) {
    this.term = term;
    this.fence = fence(term);
    client = new EtcdClient(vertx, settings.connection());
    return client.connect()
        .compose(v -> claimFence())
        .compose(v -> client.range(settings.prefix() + "/_cairn/"))
        .compose(this::takeLease)
        .compose(position -> client.range(documents.servicesPrefix()).map(listing -> {
          load(listing.kvs());
          log.info("Bridge {}: etcd {} in term {}, lease {}, {} keys of this bridge, position {}", settings.id(),
              client.endpoint(), term, lease, held.size(), position == null ? "none (reconcile)" : position);
          return position;
        }));
  }

  /** Raises the fence to this term when it is absent or lower; fails when it holds a newer one. */
  private Future<Void> claimFence() {
    TxnRequest lower = TxnRequest.newBuilder().addCompare(EtcdOps.valueBelow(termKey, fence))
        .addSuccess(EtcdOps.put(termKey, fence, 0)).addFailure(EtcdOps.get(termKey)).build();
    TxnRequest claim = TxnRequest.newBuilder().addCompare(EtcdOps.absent(termKey))
        .addSuccess(EtcdOps.put(termKey, fence, 0)).addFailure(RequestOp.newBuilder().setRequestTxn(lower)).build();
    return client.txn(claim).compose(answer -> {
      if (answer.getSucceeded() || answer.getResponses(0).getResponseTxn().getSucceeded()) {
        return Future.succeededFuture();
      }
      String holder = heldFence(answer.getResponses(0).getResponseTxn());
      return fence.equals(holder) ? Future.succeededFuture() : Future.failedFuture(fencedOut(holder));
    });
  }

  /**
   * Keeps the lease {@code _cairn/lease} names when etcd says it is alive (and of the configured TTL), so the keys
   * under it stay; else grants a new one, and answers no position: the keys of a lost lease are gone, and the
   * bridge reconciles.
   */
  private Future<String> takeLease(EtcdClient.Listing bookkeeping) {
    String named = valueOf(bookkeeping, leaseKey);
    String position = valueOf(bookkeeping, revisionKey);
    long ttl = settings.leaseTtl() / 1000;
    Future<Boolean> alive;
    try {
      long id = named == null ? 0 : Long.parseLong(named);
      alive = id == 0 ? Future.succeededFuture(false) : client.leaseTimeToLive(id)
          .map(r -> r.getTTL() > 0 && r.getGrantedTTL() == ttl)
          .onSuccess(yes -> lease = yes ? id : 0);
    } catch (NumberFormatException notALease) {
      alive = Future.succeededFuture(false);
    }
    return alive.compose(reused -> {
      if (reused) {
        return keepAlive(ttl).map(position);
      }
      return client.leaseGrant(ttl)
          .compose(id -> {
            lease = id;
            return keepAlive(ttl);
          })
          .compose(v -> fenced(List.of(EtcdOps.put(leaseKey, Long.toString(lease), lease))))
          .map((String) null);
    });
  }

  private Future<Void> keepAlive(long ttl) {
    return client.keepAlive(lease, ttl, this::broke).map(k -> {
      keepAlive = k;
      return null;
    });
  }

  private void broke(Throwable failure) {
    broken = failure;
    if (brokenListener != null) {
      brokenListener.accept(failure);
    }
  }

  @Override
  public void whenBroken(Consumer<Throwable> failed) {
    brokenListener = failed;
    if (broken != null) {
      failed.accept(broken);
    }
  }

  private void load(List<KeyValue> kvs) {
    held.clear();
    keyOfId.clear();
    for (KeyValue kv : kvs) {
      JsonObject doc = documents.held(kv.getValue().toStringUtf8());
      if (doc != null) {
        String key = kv.getKey().toStringUtf8();
        held.put(key, new Held(doc, kv.getLease()));
        keyOfId.put(doc.getString("id"), key);
      }
    }
  }

  @Override
  public Future<Void> write(List<Change> changes) {
    return broken != null ? Future.failedFuture(broken) : writeFrom(changes, 0);
  }

  /**
   * Writes {@code changes} from {@code from} on, in transactions of at most {@value #MAX_KEY_OPS} key operations,
   * each recording the position of its last change; the next is planned once the previous one committed.
   */
  private Future<Void> writeFrom(List<Change> changes, int from) {
    if (from == changes.size()) {
      return Future.succeededFuture();
    }
    Map<String, Wanted> last = new LinkedHashMap<>();
    int ops = 0;
    int next = from;
    for (; next < changes.size(); next++) {
      Event e = changes.get(next).event();
      if (e.service() == null) {
        continue;
      }
      Wanted w = wanted(e);
      Wanted before = last.get(w.id());
      int more = keyOps(w).size() - (before == null ? 0 : keyOps(before).size());
      if (ops + more > MAX_KEY_OPS && next > from) {
        break;
      }
      last.put(w.id(), w);
      ops += more;
    }
    List<KeyOp> keyOps = new ArrayList<>();
    last.values().forEach(w -> keyOps.addAll(keyOps(w)));
    int end = next;
    return commit(keyOps, changes.get(end - 1).position()).compose(v -> writeFrom(changes, end));
  }

  private Wanted wanted(Event e) {
    ServiceEntry s = e.service();
    if (e.type() == Event.Type.SERVICE_DEREGISTERED || !documents.exported(s)) {
      return new Wanted(s.id(), null, null);
    }
    return new Wanted(s.id(), documents.key(s), documents.document(s));
  }

  /** What it takes to bring etcd from what it holds of an instance to {@code w}: 0, 1 or 2 key operations. */
  private List<KeyOp> keyOps(Wanted w) {
    String current = keyOfId.get(w.id());
    List<KeyOp> ops = new ArrayList<>(2);
    if (current != null && !current.equals(w.key())) {
      ops.add(new KeyOp(current, null));
    }
    if (w.key() != null && !holds(w.key(), w.document())) {
      ops.add(new KeyOp(w.key(), w.document()));
    }
    return ops;
  }

  /** etcd holds this document at this key, under this session's lease (a term apart does not count). */
  private boolean holds(String key, JsonObject document) {
    Held h = held.get(key);
    return h != null && h.lease() == lease && h.document().equals(document);
  }

  @Override
  public Future<Void> reconcile(Snapshot snapshot) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    Map<String, JsonObject> wanted = new HashMap<>();
    List<KeyOp> ops = new ArrayList<>();
    for (ServiceEntry s : snapshot.services()) {
      if (documents.exported(s)) {
        String key = documents.key(s);
        JsonObject doc = documents.document(s);
        wanted.put(key, doc);
        if (!holds(key, doc)) {
          ops.add(new KeyOp(key, doc));
        }
      }
    }
    int puts = ops.size();
    held.keySet().stream().filter(key -> !wanted.containsKey(key)).sorted().forEach(key -> ops.add(new KeyOp(key,
        null)));
    String position = Long.toString(snapshot.revision());
    return reconcileFrom(ops, 0, position).onSuccess(v -> log.info("Bridge {}: etcd reconciled at revision {}: {} "
        + "keys written, {} deleted, {} as they were", settings.id(), position, puts, ops.size() - puts,
        wanted.size() - puts));
  }

  /** The operations from {@code from} on, {@value #MAX_KEY_OPS} a transaction; the last one records the position. */
  private Future<Void> reconcileFrom(List<KeyOp> ops, int from, String position) {
    int end = Math.min(ops.size(), from + MAX_KEY_OPS);
    boolean last = end == ops.size();
    return commit(ops.subList(from, end), last ? position : null)
        .compose(v -> last ? Future.succeededFuture() : reconcileFrom(ops, end, position));
  }

  /** One fenced transaction of these key operations and (unless null) the position; on success, what etcd holds. */
  private Future<Void> commit(List<KeyOp> ops, String position) {
    List<RequestOp> requests = new ArrayList<>(ops.size() + 1);
    for (KeyOp op : ops) {
      requests.add(op.document() == null ? EtcdOps.delete(op.key())
          : EtcdOps.put(op.key(), ExportDocuments.value(op.document(), term), lease));
    }
    if (position != null) {
      requests.add(EtcdOps.put(revisionKey, position, lease));
    }
    return fenced(requests).map(v -> {
      for (KeyOp op : ops) {
        Held before = op.document() == null ? held.remove(op.key()) : held.put(op.key(), new Held(op.document(),
            lease));
        if (op.document() != null) {
          keyOfId.put(op.document().getString("id"), op.key());
        } else if (before != null) {
          keyOfId.remove(before.document().getString("id"), op.key());
        }
      }
      return null;
    });
  }

  /** A transaction that commits only while the fence holds this node's term. */
  private Future<Void> fenced(List<RequestOp> requests) {
    TxnRequest txn = TxnRequest.newBuilder().addCompare(EtcdOps.valueEquals(termKey, fence)).addAllSuccess(requests)
        .addFailure(EtcdOps.get(termKey)).build();
    return client.txn(txn).compose(answer -> {
      if (answer.getSucceeded()) {
        return Future.succeededFuture();
      }
      String holder = heldFence(answer);
      if (holder != null && holder.compareTo(fence) > 0) {
        return Future.failedFuture(fencedOut(holder));
      }
      // Gone or lowered by someone else: not a newer term. The session ends and the next one claims it again.
      return Future.failedFuture(new IllegalStateException("etcd " + client.endpoint() + ": " + termKey + " holds "
          + (holder == null ? "nothing" : holder) + ", not this node's term " + term));
    });
  }

  /** The fence's value as a failed transaction's single range read it, or null when absent. */
  private static String heldFence(TxnResponse failed) {
    RangeResponse r = failed.getResponses(0).getResponseRange();
    return r.getKvsCount() == 0 ? null : r.getKvs(0).getValue().toStringUtf8();
  }

  private FencedOut fencedOut(String holder) {
    String shown = holder == null ? "none" : holder.replaceFirst("^0+(?=\\d)", "");
    return new FencedOut("etcd " + client.endpoint() + " (" + termKey + ")", term, shown);
  }

  private static String valueOf(EtcdClient.Listing listing, String key) {
    for (KeyValue kv : listing.kvs()) {
      if (kv.getKey().toStringUtf8().equals(key)) {
        return kv.getValue().toStringUtf8();
      }
    }
    return null;
  }

  @Override
  public Future<Void> close() {
    brokenListener = null;
    if (keepAlive != null) {
      keepAlive.stop();
    }
    return client == null ? Future.succeededFuture() : client.close();
  }
}
