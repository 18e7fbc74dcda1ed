package io.cairn.health;

import io.cairn.config.CheckSettings;
import io.cairn.config.CheckTargets;
import io.cairn.model.Check;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ModelJson;
import io.cairn.model.ServiceEntry;
import io.cairn.node.Addresses;
import io.cairn.node.CommandLog;
import io.cairn.node.Meters;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the http, tcp, grpc and plugin checks this node owns (DESIGN §2 rule 6): each instance's check runs on one
 * live node, chosen by rendezvous hashing of its id ({@link Ownership}); every node works out the same owners, so
 * when a node joins, leaves or fails, the checks move without a word between nodes.
 *
 * <p>Each check runs at a fixed phase of its interval, derived from the instance id, so ten thousand checks at
 * 10 s are a steady thousand a second, and a check that moves keeps its rhythm. Only transitions enter the log:
 * {@code failuresBeforeUnhealthy} failed runs in a row make an instance unhealthy (not while its
 * {@code gracePeriod} lasts), {@code successesBeforeHealthy} good ones healthy (or degraded, for HTTP 429); a
 * flapping instance is held degraded ({@link FlapDamper}); an unhealthy target is probed with back-off
 * ({@link ProbeBackoff}). Every run's result is published to all nodes each second, so any node shows the latest.
 */
public class HealthCheckVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(HealthCheckVerticle.class);
  private static final long RECONCILE_EVERY_MILLIS = 500;
  private static final long PUBLISH_EVERY_MILLIS = 1000;

  private final CheckSettings checks;
  private final NodeState node;
  private final Replica replica;
  private final Checkers checkers;
  private final CheckResults results;
  private final CommandLog commandLog;
  private final Map<String, OwnedCheck> owned = new HashMap<>();
  /** Instance id → its latest run since the last publication (only the latest is worth sending). */
  private final Map<String, CheckOutcome> unpublished = new LinkedHashMap<>();
  private final CheckStats stats;
  /** Where checks may go, judged again here: a registration may predate the operator's narrower list. */
  private final CheckTargets checkTargets;
  private CheckMetrics metrics;

  public HealthCheckVerticle(CheckSettings checks, NodeState node, Replica replica, Checkers checkers, CheckStats stats,
                             CheckResults results, CommandLog commandLog) {
    this.checks = checks;
    this.node = node;
    this.replica = replica;
    this.checkers = checkers;
    this.stats = stats;
    this.results = results;
    this.commandLog = commandLog;
    this.checkTargets = checks.allowedTargets();
  }

  /** One check this node owns, and what it remembers between runs. */
  private final class OwnedCheck {
    final String id;
    final ServiceEntry definition;
    final Check check;
    final ProbeBackoff backoff;
    final FlapDamper damper;
    long timerId = -1;
    long due;
    int failures;
    int successes;
    boolean running;
    /** The health a transition was appended for and not yet applied, so it is appended once. */
    Health appending;
    /** Why checks.allowedTargets does not let this check run, or null. */
    final CheckTargets.Refusal refused;

    OwnedCheck(ServiceEntry e) {
      this.id = e.id();
      this.definition = e;
      this.check = e.check();
      this.backoff = new ProbeBackoff(vertx, id, check.intervalMillis(), checks.backoffMaxMillis());
      this.damper = new FlapDamper(checks.flappingMaxTransitions(), checks.flappingWindowMillis());
      this.refused = checkTargets.refusal(e);
    }
  }

  @Override
  public void start() {
    checkers.init(vertx);
    metrics = new CheckMetrics(Meters.of(node.nodeId()), node.nodeId());
    vertx.setPeriodic(RECONCILE_EVERY_MILLIS, id -> reconcile());
    vertx.setPeriodic(PUBLISH_EVERY_MILLIS, id -> publishResults());
    vertx.eventBus().<JsonArray>consumer(Addresses.CHECK_RESULTS, msg -> {
      for (Object o : msg.body()) {
        JsonObject j = (JsonObject) o;
        results.record(j.getString("id"), ModelJson.outcomeFromJson(j.getJsonObject("outcome")));
      }
    });
    vertx.eventBus().<String>consumer(Addresses.CHECK_RUN + node.nodeId(), msg -> {
      // An instance registered a moment ago may not be scheduled yet: look at what this node owns now.
      reconcile();
      OwnedCheck c = owned.get(msg.body());
      if (c == null) {
        msg.fail(404, "node " + node.nodeId() + " does not own the check of " + msg.body());
        return;
      }
      run(c, System.currentTimeMillis()).onComplete(ar -> msg.reply(ar.succeeded()
          ? result(c.id, ar.result()) : new JsonObject().put("id", c.id).put("error", ar.cause().toString())));
    });
    vertx.eventBus().<String>consumer(Addresses.CHECK_RUN_ALL + node.nodeId(), msg -> runAll(msg.body())
        .onComplete(ar -> msg.reply(ar.result())));
    // Forget the results of instances that are gone.
    vertx.setPeriodic(10_000, id -> results.keepOnly(i -> replica.get(i) != null));
  }

  @Override
  public void stop() {
    owned.values().forEach(this::unschedule);
    owned.clear();
  }

  // ---------------------------------------------------------------- which checks are ours

  /** Starts the checks this node now owns and stops those it no longer does (or whose definition changed). */
  private void reconcile() {
    if (!node.ready()) {
      return;
    }
    List<String> owners = node.checkOwners();
    for (var it = owned.values().iterator(); it.hasNext(); ) {
      OwnedCheck c = it.next();
      ServiceEntry e = replica.get(c.id);
      if (!probed(e) || !sameRegistration(e, c) || !node.nodeId().equals(Ownership.owner(c.id, owners))) {
        unschedule(c);
        it.remove();
      }
    }
    for (String id : replica.probeIds()) {
      if (owned.containsKey(id) || !node.nodeId().equals(Ownership.owner(id, owners))) {
        continue;
      }
      ServiceEntry e = replica.get(id);
      if (probed(e)) {
        OwnedCheck c = new OwnedCheck(e);
        owned.put(id, c);
        schedule(c, nextDue(c, System.currentTimeMillis()));
      }
    }
    stats.owned.set(owned.size());
  }

  /**
   * What a check remembers (thresholds, back-off, flap history) belongs to one registration of one definition: an
   * instance deregistered and registered again under its id between two reconciliations (a deploy loop restarting
   * a service) is a new registration, told apart by its registration time, and starts afresh.
   */
  private static boolean sameRegistration(ServiceEntry e, OwnedCheck c) {
    return e != null && e.registeredAt() == c.definition.registeredAt() && e.sameDefinition(c.definition);
  }

  /** Still registered, with a check this node can run. */
  private boolean probed(ServiceEntry e) {
    return e != null && e.check() != null && !e.check().isTtl() && checkers.get(e.check().type()) != null;
  }

  /** The first time at or after {@code now} that falls on this check's phase of its interval. */
  private static long nextDue(OwnedCheck c, long now) {
    long interval = c.check.intervalMillis();
    long phase = Ownership.phase(c.id, interval);
    long due = now - Math.floorMod(now, interval) + phase;
    return due < now ? due + interval : due;
  }

  private void schedule(OwnedCheck c, long due) {
    c.due = due;
    c.timerId = vertx.setTimer(Math.max(1, due - System.currentTimeMillis()), t -> {
      c.timerId = -1;
      if (owned.get(c.id) != c) {
        return;
      }
      long start = System.currentTimeMillis();
      stats.lateBy(start - c.due);
      if (!c.backoff.allowsProbe()) {
        stats.skipped.increment();
      } else if (!c.running) {
        run(c, start);
      }
      // The next slot of its phase after now (runs that started too late to catch theirs are not made up).
      long interval = c.check.intervalMillis();
      schedule(c, c.due + interval * ((start - c.due) / interval + 1));
    });
  }

  private void unschedule(OwnedCheck c) {
    if (c.timerId >= 0) {
      vertx.cancelTimer(c.timerId);
      c.timerId = -1;
    }
    c.backoff.stop();
  }

  // ---------------------------------------------------------------- running

  /** Runs the check once; the outcome counts toward the thresholds whether scheduled or asked for. */
  private Future<CheckOutcome> run(OwnedCheck c, long start) {
    c.running = true;
    stats.runs.increment();
    Checker checker = checkers.get(c.check.type());
    Promise<CheckResult> done = Promise.promise();
    long timeout = vertx.setTimer(c.check.timeoutMillis(), t ->
        done.tryComplete(CheckResult.unhealthy("timed out after " + c.check.timeoutMillis() + "ms")));
    Future<CheckResult> probe;
    try {
      probe = c.refused != null ? Future.succeededFuture(CheckResult.unhealthy("not run: " + c.refused.message()))
          : checker.check(c.definition, c.check);
    } catch (RuntimeException e) {
      probe = Future.failedFuture(e);
    }
    probe.onComplete(ar -> {
      vertx.cancelTimer(timeout);
      done.tryComplete(ar.succeeded() && ar.result() != null ? ar.result() : CheckResult.unhealthy(describe(ar.cause())));
    });
    return done.future().compose(result -> {
      c.running = false;
      long now = System.currentTimeMillis();
      CheckOutcome outcome = new CheckOutcome(start, result.status(), result.output(), now - start, node.nodeId());
      metrics.record(c.check.type(), result.status(), now - start);
      results.record(c.id, outcome);
      unpublished.put(c.id, outcome);
      return decide(c, outcome, now).map(outcome);
    });
  }

  private static String describe(Throwable err) {
    if (err == null) {
      return "no result";
    }
    String msg = err.getMessage();
    return msg == null || msg.isBlank() ? err.getClass().getSimpleName() : msg;
  }

  /**
   * Thresholds, grace, flap damping and back-off: whether this run changes the instance's health. Completes once a
   * transition it appends is applied here (so an on-demand run answers with the health it led to).
   */
  private Future<Void> decide(OwnedCheck c, CheckOutcome outcome, long now) {
    ServiceEntry e = replica.get(c.id);
    if (!sameRegistration(e, c) || owned.get(c.id) != c) {
      return Future.succeededFuture();
    }
    boolean failed = outcome.status() == Health.UNHEALTHY;
    if (failed) {
      c.failures++;
      c.successes = 0;
    } else {
      c.successes++;
      c.failures = 0;
    }
    boolean inGrace = e.health() == Health.UNKNOWN && now < e.registeredAt() + c.check.gracePeriodMillis();
    Health target = null;
    if (failed && c.failures >= c.check.failuresBeforeUnhealthy() && !inGrace) {
      target = Health.UNHEALTHY;
    } else if (!failed && c.successes >= c.check.successesBeforeHealthy()) {
      target = outcome.status();
    }
    if (failed && (target == Health.UNHEALTHY || e.health() == Health.UNHEALTHY)) {
      c.backoff.probeFailed();
    } else if (!failed) {
      c.backoff.probeSucceeded();
    }
    boolean heldAsFlapping = FlapDamper.REASON.equals(e.healthReason());
    Health decided = c.damper.decide(target, heldAsFlapping ? null : e.health(), now);
    if (decided == null || decided == c.appending) {
      return Future.succeededFuture();
    }
    boolean flapping = c.damper.flapping();
    if (decided == e.health() && heldAsFlapping == flapping) {
      return Future.succeededFuture();
    }
    String reason = flapping ? FlapDamper.REASON : outcome.output();
    c.appending = decided;
    return commandLog.append(Command.checkTransition(node.nodeId(), now, c.id, decided, reason, outcome))
        .onComplete(ar -> {
          c.appending = null;
          if (ar.failed()) {
            log.debug("Could not record {} as {}: {}", c.id, decided, ar.cause().toString());
          }
        }).<Void>mapEmpty().otherwiseEmpty();
  }

  /** Runs every check this node owns (of one service name, if given) now; answers a summary. */
  private Future<JsonObject> runAll(String name) {
    reconcile();
    List<Future<CheckOutcome>> runs = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (OwnedCheck c : owned.values()) {
      if (name == null || name.isEmpty() || name.equals(c.definition.name())) {
        runs.add(run(c, now));
      }
    }
    return Future.join(runs).transform(ar -> {
      JsonObject summary = new JsonObject().put("node", node.nodeId()).put("ran", runs.size());
      for (Health h : new Health[] {Health.HEALTHY, Health.DEGRADED, Health.UNHEALTHY}) {
        summary.put(h.json(), runs.stream().filter(f -> f.succeeded() && f.result().status() == h).count());
      }
      return Future.succeededFuture(summary);
    });
  }

  private JsonObject result(String id, CheckOutcome outcome) {
    ServiceEntry e = replica.get(id);
    return new JsonObject().put("id", id).put("result", ModelJson.toJson(outcome))
        .put("health", e == null ? null : e.health().json());
  }

  private void publishResults() {
    if (unpublished.isEmpty()) {
      return;
    }
    JsonArray batch = new JsonArray();
    unpublished.forEach((id, outcome) -> batch.add(new JsonObject().put("id", id).put("outcome", ModelJson.toJson(outcome))));
    unpublished.clear();
    vertx.eventBus().publish(Addresses.CHECK_RESULTS, batch);
  }
}
