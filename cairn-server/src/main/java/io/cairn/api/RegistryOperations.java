package io.cairn.api;

import io.cairn.config.CheckTargets;
import io.cairn.config.RegistrySettings;
import io.cairn.model.CheckDefaults;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.Registrations;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.model.ValidationException;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The registry operations behind every transport: who may (each takes the {@link Caller} and asks {@link Access}),
 * validation, the command each write becomes, and the mapping of an {@link Outcome} to a status a client
 * understands. Reads come from the local replica; writes go to the replication verticle and are answered once
 * applied here. Every write, accepted or refused, is audited.
 */
public final class RegistryOperations {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final RegistrySettings registry;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final CheckDefaults checkDefaults;
  private final CommandLog commandLog;
  private final QueryCache cache;
  private final CheckTargets checkTargets;

  public RegistryOperations(Vertx vertx, RegistrySettings registry, CheckTargets checkTargets, NodeState node,
                            Replica replica, Access access, CheckDefaults checkDefaults, CommandLog commandLog,
                            QueryCache cache) {
    this.vertx = vertx;
    this.registry = registry;
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.checkDefaults = checkDefaults;
    this.commandLog = commandLog;
    this.cache = cache;
    this.checkTargets = checkTargets;
  }

  public Access access() {
    return access;
  }

  /** A write's result: the HTTP status, the instance concerned, and the revision that holds the write. */
  public record Written(int status, ServiceEntry entry, long revision) {
  }

  /** A discovery answer: the encoded instances and the replica revision it reflects. */
  public record Discovery(long revision, QueryCache.Answer answer) {
    public Buffer toBuffer() {
      return Buffer.buffer(answer.services().length() + 48)
          .appendString("{\"revision\":").appendString(Long.toString(revision))
          .appendString(",\"count\":").appendString(Integer.toString(answer.count()))
          .appendString(",\"services\":").appendBuffer(answer.services()).appendString("}");
    }
  }

  /** A registration as the API takes it: well formed, and its check aimed where checks may go. */
  ServiceEntry parse(JsonObject body, String pathId) {
    ServiceEntry definition = Registrations.parse(body, pathId, checkDefaults);
    CheckTargets.Refusal refused = checkTargets.refusal(definition);
    if (refused != null) {
      throw new ValidationException("check_target_not_allowed", refused.message(), refused.field());
    }
    return definition;
  }

  public void requireReady() {
    if (!node.ready()) {
      throw new ApiException(503, "not_ready", "this node is still catching up with the cluster log; retry shortly");
    }
  }

  /**
   * Registers an instance.
   *
   * @param create true for create-only (POST): an existing id is a conflict
   * @param cas    {@link Command#NO_CAS}, 0 for "only if absent", or the revision the client last saw
   */
  public Future<Written> register(Caller caller, JsonObject body, String pathId, boolean create, long cas) {
    ServiceEntry definition = parse(body, pathId);
    String object = Access.service(definition.name());
    // What this replica already refuses never enters the log (Apply still decides a race with a write under way).
    ServiceEntry existing = mayRegister(caller, definition);
    if (existing != null && (create || cas == 0)) {
      Outcome refused = new Outcome(create ? Outcome.Status.EXISTS : Outcome.Status.CAS_FAILED, existing, List.of(), 0);
      // written() throws the 409 a client gets for this outcome: the future fails with it
      return audited(caller, "register", object, Future.future(p -> p.complete(written(refused, definition.id()))));
    }
    access.admitWrite(caller, 1);
    return audited(caller, "register", object,
        append(List.of(Command.register(node.nodeId(), 0, System.currentTimeMillis(), definition, create, cas)))
            .map(outcomes -> written(outcomes.get(0), definition.id())));
  }

  public Future<Written> deregister(Caller caller, String id) {
    return onInstance(caller, Command.Type.DEREGISTER, id, Action.REGISTER);
  }

  /** enable, disable or drain, by an operator. */
  public Future<Written> operate(Caller caller, Command.Type type, String id) {
    return onInstance(caller, type, id, Action.OPERATE);
  }

  /** An agent's shutdown notice: it drains the instances it registered, with the right it registered them by. */
  public Future<Written> drainOnShutdown(Caller caller, String id) {
    return onInstance(caller, Command.Type.DRAIN, id, Action.REGISTER);
  }

  private Future<Written> onInstance(Caller caller, Command.Type type, String id, Action action) {
    String operation = type.name().toLowerCase(Locale.ROOT);
    ServiceEntry existing = get(id); // an unknown id is 404 and costs no revision
    String object = Access.service(existing.name());
    access.require(caller, object, action, operation);
    access.admitWrite(caller, 1);
    return audited(caller, operation, object,
        append(List.of(Command.onInstance(type, node.nodeId(), 0, System.currentTimeMillis(), id)))
            .map(outcomes -> written(outcomes.get(0), id)));
  }

  /**
   * Refuses (403) unless the caller may register the definition's service, and, when its id now belongs to another
   * service's instance, that service too (a replacement writes both). Answers the instance the id holds now, or null.
   */
  private ServiceEntry mayRegister(Caller caller, ServiceEntry definition) {
    access.require(caller, Access.service(definition.name()), Action.REGISTER, "register");
    ServiceEntry existing = replica.get(definition.id());
    if (existing != null && !existing.name().equals(definition.name())) {
      access.require(caller, Access.service(existing.name()), Action.REGISTER, "register");
    }
    return existing;
  }

  private Future<Written> audited(Caller caller, String operation, String object, Future<Written> write) {
    return access.audited(caller, operation, object, write, Written::revision);
  }

  /**
   * Renews a TTL. Only a heartbeat that revives an instance is a command; others are passed to the health
   * verticle, which tells the leader in batches.
   */
  public Future<Written> heartbeat(Caller caller, String id) {
    ServiceEntry e = get(id);
    access.require(caller, Access.service(e.name()), Action.REGISTER, "heartbeat");
    if (!e.hasTtl()) {
      throw new ApiException(400, "not_ttl", "instance '" + id + "' has no ttl; only ttl instances heartbeat", "id");
    }
    if (e.health() == Health.HEALTHY) {
      vertx.eventBus().send(Addresses.HEARTBEAT_LOCAL, id, LOCAL);
      return Future.succeededFuture(new Written(200, e, replica.revision()));
    }
    return onInstance(caller, Command.Type.HEARTBEAT, id, Action.REGISTER);
  }

  /**
   * A TTL instance's own report that it is degraded or failing (Consul's {@code warn} and {@code fail}), with a note.
   * It counts as a heartbeat too: the instance is alive to say so; the next plain heartbeat makes it healthy again.
   */
  public Future<Written> reportTtl(Caller caller, String id, Health health, String note) {
    ServiceEntry e = get(id);
    String object = Access.service(e.name());
    access.require(caller, object, Action.REGISTER, "heartbeat");
    if (!e.hasTtl()) {
      throw new ApiException(400, "not_ttl", "instance '" + id + "' has no ttl; only ttl instances report their health", "id");
    }
    String reason = "reported " + health.json() + (note == null || note.isEmpty() ? "" : ": " + abbreviate(note));
    if (e.health() == health && reason.equals(e.healthReason())) {
      vertx.eventBus().send(Addresses.HEARTBEAT_LOCAL, id, LOCAL);
      return Future.succeededFuture(new Written(200, e, replica.revision()));
    }
    access.admitWrite(caller, 1);
    requireWritable();
    vertx.eventBus().send(Addresses.HEARTBEAT_LOCAL, id, LOCAL);
    return audited(caller, "report", object,
        append(List.of(Command.setHealth(node.nodeId(), 0, System.currentTimeMillis(), 0, id, health, reason)))
            .map(outcomes -> written(outcomes.get(0), id)));
  }

  private static String abbreviate(String note) {
    return note.length() > 200 ? note.substring(0, 200) + "…" : note;
  }

  /** One instance, for a caller that may read its service. */
  public ServiceEntry get(Caller caller, String id) {
    ServiceEntry e = get(id);
    access.require(caller, Access.service(e.name()), Action.READ, "get");
    return e;
  }

  private ServiceEntry get(String id) {
    Registrations.validId(id, "id");
    ServiceEntry e = replica.get(id);
    if (e == null) {
      throw notFound(id);
    }
    return e;
  }

  /**
   * Registers many instances as one entry of the log (one revision). Each item is judged on its own: a refused one
   * does not keep the others out.
   */
  public Future<Bulk> registerAll(Caller caller, JsonArray items) {
    if (items.size() > registry.maxBulk()) {
      throw new ValidationException("too_many_instances", "at most " + registry.maxBulk() + " instances per bulk request",
          "services");
    }
    Bulk.Item[] results = new Bulk.Item[items.size()];
    List<Command> commands = new ArrayList<>();
    List<Integer> commandIndex = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (int i = 0; i < items.size(); i++) {
      Object item = items.getValue(i);
      try {
        if (!(item instanceof JsonObject)) {
          throw new ValidationException("invalid_type", "each item must be a JSON object", "services[" + i + "]");
        }
        ServiceEntry definition = parse((JsonObject) item, null);
        mayRegister(caller, definition);
        commands.add(Command.register(node.nodeId(), 0, now, definition, false, Command.NO_CAS));
        commandIndex.add(i);
      } catch (ValidationException | ApiException e) {
        results[i] = Bulk.Item.refused(i, ApiException.of(e));
      }
    }
    if (!commands.isEmpty()) {
      access.admitWrite(caller, commands.size());
    }
    Future<List<Outcome>> applied = commands.isEmpty() ? Future.succeededFuture(List.of()) : append(commands);
    return applied.map(outcomes -> {
      long revision = replica.revision();
      for (int k = 0; k < outcomes.size(); k++) {
        int i = commandIndex.get(k);
        try {
          Written w = written(outcomes.get(k), commands.get(k).id());
          access.record(caller, "register", Access.service(w.entry().name()), "ok", w.revision());
          results[i] = Bulk.Item.registered(i, w);
          revision = Math.max(revision, w.revision());
        } catch (ApiException e) {
          results[i] = Bulk.Item.refused(i, e);
        }
      }
      return new Bulk(revision, List.of(results));
    });
  }

  /**
   * Runs a discovery on the replica; the answer is cached under {@code rawQuery} when that is not null. The caller
   * sees what it may read: a query by name needs the right to read that service (403 otherwise); a query across
   * names leaves out the services it may not read.
   */
  public Discovery discover(Caller caller, String rawQuery, ServiceQuery query) {
    long revision = replica.revision();
    return new Discovery(revision, readable(caller, cache.compute(rawQuery, query)));
  }

  /**
   * Whether the caller may discover this service name, asked without an audit line by a transport that answers
   * refusals itself (DNS: one UDP packet must not cost a line in the audit log).
   */
  public boolean mayDiscover(Caller caller, String name) {
    return access.allowed(caller, Access.service(name), Action.READ);
  }

  /**
   * Every instance of {@code name}, whatever its state, for a caller that may read the name (403 otherwise), through
   * the discovery cache under a key of the asking API's own: DNS and the Consul API answer from it.
   */
  public List<ServiceEntry> instancesOf(Caller caller, String api, String name) {
    String key = QueryCache.key(api, name);
    Discovery d = cachedDiscovery(caller, key);
    if (d == null) {
      d = discover(caller, key, ServiceQuery.allOf(name));
    }
    return d.answer().entries();
  }

  /** The cached answer for this exact query string, as the caller may see it, or null. */
  public Discovery cachedDiscovery(Caller caller, String rawQuery) {
    long revision = replica.revision();
    QueryCache.Answer answer = cache.lookup(rawQuery);
    return answer == null ? null : new Discovery(revision, readable(caller, answer));
  }

  private QueryCache.Answer readable(Caller caller, QueryCache.Answer answer) {
    if (access.readsEverything(caller)) {
      return answer;
    }
    String name = answer.query().name();
    if (name != null) {
      access.require(caller, Access.service(name), Action.READ, "discover");
      return answer;
    }
    return answer.narrowed(e -> access.allowed(caller, Access.service(e.name()), Action.READ));
  }

  /**
   * A linearizable read barrier ({@code ?consistent=true}): completes once the Raft leader has confirmed its
   * leadership with a majority and this node has applied everything committed before the read; then the local
   * replica answers. Fails 503 on a node that reaches no such leader.
   */
  public Future<Void> readBarrier() {
    requireReady();
    return vertx.eventBus().request(Addresses.READ_INDEX, null, new DeliveryOptions().setLocalOnly(true)
            .setSendTimeout(10_000))
        .<Void>mapEmpty()
        .recover(err -> Future.failedFuture(new ApiException(503, "no-quorum", "a consistent read needs a Raft "
            + "leader that a majority of voters follow, and this node reaches none; read without consistent=true "
            + "for this node's (possibly stale) view, or ask another node")));
  }

  /** Writes need a caught-up node that is not shutting down, on a side of the cluster with quorum. */
  public void requireWritable() {
    requireReady();
    if (node.leaving()) {
      throw leavingError("this node is shutting down; send the request to another node");
    }
    // A node short of storage says so first: a leader that stepped down for it is in an election a moment later,
    // and the lasting reason is its disk, not the quorum.
    String storage = node.standing().storageRefusal();
    if (storage != null) {
      throw new ApiException(507, "insufficient_storage", "this node " + storage + "; write to another node");
    }
    if (!node.quorate()) {
      throw ApiException.noQuorum();
    }
  }

  /** 503 {@code leaving}, naming another node to retry at when there is one. */
  public ApiException leavingError(String message) {
    ApiException e = new ApiException(503, "leaving", message);
    String other = node.anotherNodeUrl();
    return other == null ? e : e.retryAt(other);
  }

  /** Appends commands this node decided, once it may write (ready, not leaving, short of nothing, quorate). */
  Future<List<Outcome>> append(List<Command> commands) {
    requireWritable();
    return commandLog.append(commands);
  }

  private Written written(Outcome o, String id) {
    switch (o.status()) {
      case CREATED: return new Written(201, o.entry(), o.revision());
      case UPDATED:
      case UNCHANGED: return new Written(200, o.entry(), o.revision());
      case NOT_FOUND: throw notFound(id);
      case EXISTS: throw new ApiException(409, "already_exists",
          "instance '" + id + "' is already registered; use PUT /v1/services/" + id + " to replace it", "id");
      case CAS_FAILED: throw new ApiException(409, "cas_failed",
          "instance '" + id + "' changed after the given revision" + (o.entry() == null ? " (it no longer exists)" : " (now at revision " + o.entry().revision() + ")"), "cas");
      case NOT_TTL: throw new ApiException(400, "not_ttl", "instance '" + id + "' has no ttl", "id");
      default: throw new ApiException(503, "unavailable", "the write was not accepted (" + o.status() + "); retry");
    }
  }

  private static ApiException notFound(String id) {
    return new ApiException(404, "not_found", "no instance with id '" + id + "'", "id");
  }
}
