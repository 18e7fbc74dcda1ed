package io.cairn.bridge;

import io.cairn.config.BridgeSettings;
import io.cairn.node.Addresses;
import io.cairn.node.BridgeBoard;
import io.cairn.node.BridgeStatus;
import io.cairn.node.Meters;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * One bridge, deployed on every node and running on one: the Raft leader, in the term it leads. Every 250 ms it
 * looks whether its turn began or ended; a turn runs sessions ({@link #connect}) one after another, a failed one
 * followed by the next after a back-off (1 s, doubling to 30 s). What the bridge writes carries its term (its
 * fence): a server that holds a newer term refuses a former leader's writes ({@link FencedOut}), and that node stops
 * until it leads again in a later term.
 *
 * <p>While it runs, it publishes its {@link BridgeStatus} to every node each second; every node keeps the last
 * heard in the {@link BridgeBoard}. Its metrics: {@code cairn_bridge_lag_revisions{bridge}} and
 * {@code cairn_bridge_errors_total{bridge}}, on the node that runs it.
 */
public abstract class BridgeVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(BridgeVerticle.class);
  private static final long TURN_CHECK_MILLIS = 250;
  private static final long STATUS_MILLIS = 1_000;
  private static final long FIRST_BACKOFF_MILLIS = 1_000;
  private static final long MAX_BACKOFF_MILLIS = 30_000;

  protected final BridgeSettings.Bridge settings;
  protected final NodeState node;
  protected final Replica replica;
  private final BridgeBoard board;

  /** The term of the turn this node runs, or 0. */
  private long term;
  /** A term this node was fenced out of: it does not run the bridge again until a later one. */
  private long fencedTerm;
  /** The session running or being connected, or null. */
  private Attempt current;
  private long backoff = FIRST_BACKOFF_MILLIS;
  private long retryTimer = -1;
  private boolean connected;
  private long errors;
  private String lastError;
  private long lastErrorAt;
  private Counter errorCounter;

  /** One connection's worth of a bridge's work: ended by {@link #close}, never reused. */
  public interface Session {
    Future<Void> close();
  }

  /** How far a bridge is, for its status and metrics. */
  public record Progress(long lastRevision, long lagRevisions, long lagMillis) {
  }

  protected BridgeVerticle(BridgeSettings.Bridge settings, NodeState node, Replica replica, BridgeBoard board) {
    this.settings = settings;
    this.node = node;
    this.replica = replica;
    this.board = board;
  }

  /**
   * Connects to the server, takes the fence for {@code term} and starts the work. The session reports a failure
   * later (the connection lost, a write refused) through {@code failed}, once; a {@link FencedOut} ends the turn.
   */
  protected abstract Future<Session> connect(long term, Consumer<Throwable> failed);

  /** How far the running session got. */
  protected abstract Progress progress();

  @Override
  public void start() {
    vertx.eventBus().<JsonObject>consumer(Addresses.BRIDGE_STATUS + settings.id(),
        msg -> board.heard(BridgeStatus.fromJson(msg.body())));
    MeterRegistry meters = Meters.of(node.nodeId());
    errorCounter = Counter.builder("cairn_bridge_errors").description("Failures of a bridge on this node: a "
            + "connection lost, a write refused")
        .tags("node", node.nodeId(), "bridge", settings.id()).register(meters);
    Gauge.builder("cairn_bridge_lag_revisions", this, b -> b.term == 0 ? 0 : b.progress().lagRevisions())
        .description("How many revisions the bridge is behind its source, on the node that runs it")
        .tags("node", node.nodeId(), "bridge", settings.id()).register(meters);
    vertx.setPeriodic(TURN_CHECK_MILLIS, id -> checkTurn());
    vertx.setPeriodic(STATUS_MILLIS, id -> publishStatus());
  }

  @Override
  public void stop() {
    endTurn("the node stops");
  }

  private void checkTurn() {
    boolean mine = node.ready() && node.actsAsLeader();
    long leaderTerm = replica.term();
    if (term != 0 && (!mine || leaderTerm != term)) {
      endTurn("this node no longer leads term " + term);
    }
    if (term == 0 && mine && leaderTerm > fencedTerm) {
      term = leaderTerm;
      backoff = FIRST_BACKOFF_MILLIS;
      log.info("Bridge {} ({}) runs on this node in term {}", settings.id(), settings.type().key(), term);
      attempt();
    }
  }

  /** One try at a session: its failure may come before connect answers, and is then acted on when it does. */
  private static final class Attempt {
    final long term;
    Session session;
    Throwable failure;

    Attempt(long term) {
      this.term = term;
    }
  }

  private void attempt() {
    retryTimer = -1;
    if (term == 0 || current != null) {
      return;
    }
    Attempt a = new Attempt(term);
    current = a;
    connect(a.term, failure -> {
      if (current == a && a.failure == null) {
        a.failure = failure;
        if (a.session != null) {
          failed(a);
        }
      }
    }).onComplete(ar -> {
      if (current != a) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        a.failure = ar.cause();
        failed(a);
        return;
      }
      a.session = ar.result();
      if (a.failure != null) {
        failed(a);
        return;
      }
      connected = true;
      backoff = FIRST_BACKOFF_MILLIS;
    });
  }

  /** The session failed: counted, and the next one tried after the back-off, unless the fence says stop. */
  private void failed(Attempt a) {
    current = null;
    connected = false;
    if (a.session != null) {
      a.session.close();
    }
    Throwable failure = a.failure;
    if (failure instanceof FencedOut) {
      log.warn("Bridge {} stops on this node: {}", settings.id(), failure.getMessage());
      fencedTerm = a.term;
      endTurn(failure.getMessage());
      return;
    }
    errors++;
    errorCounter.increment();
    lastError = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    lastErrorAt = System.currentTimeMillis();
    log.warn("Bridge {}: {}; trying again in {} ms", settings.id(), lastError, backoff);
    if (term != 0 && retryTimer < 0) {
      retryTimer = vertx.setTimer(backoff, id -> attempt());
      backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
    }
  }

  private void endTurn(String why) {
    if (term == 0) {
      return;
    }
    log.info("Bridge {} stops on this node: {}", settings.id(), why);
    term = 0;
    connected = false;
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    Attempt a = current;
    current = null;
    if (a != null && a.session != null) {
      a.session.close();
    }
  }

  private void publishStatus() {
    if (term == 0) {
      return;
    }
    Progress p = progress();
    BridgeStatus status = new BridgeStatus(settings.id(), settings.type().key(), node.nodeId(), term, connected,
        p.lastRevision(), p.lagRevisions(), p.lagMillis(), errors, lastError, lastErrorAt);
    vertx.eventBus().publish(Addresses.BRIDGE_STATUS + settings.id(), status.toJson());
  }
}
