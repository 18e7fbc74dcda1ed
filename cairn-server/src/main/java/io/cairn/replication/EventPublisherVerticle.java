package io.cairn.replication;

import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.cairn.node.Addresses;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;

import java.util.List;

/**
 * Encodes events and publishes them on {@link Addresses#EVENTS}, on an event loop of its own so that the loop
 * applying the log does not spend its time writing JSON. The replication verticle decides what to publish and
 * sends batches here in revision order; one consumer keeps that order.
 *
 * <p>The clustered event bus looks up an address's subscribers (a worker-thread hop and a Hazelcast read) for every
 * message it publishes, and each event is encoded first; with nobody subscribed that is pure waste, measured at
 * about a tenth of a registration's CPU. So this verticle checks every {@link #SUBSCRIBER_CHECK_MILLIS} whether
 * anyone in the cluster subscribes, and publishes only then. A new subscriber therefore starts receiving within
 * that delay of its registration reaching the cluster.
 */
public class EventPublisherVerticle extends AbstractVerticle {
  /** Local address of this verticle. */
  static final String ADDRESS = "cairn.replication.publish";
  static final long SUBSCRIBER_CHECK_MILLIS = 100;

  private volatile boolean subscribed = true;

  /** Events to publish, oldest first. */
  public record Batch(List<Event> events) {
  }

  @Override
  public void start() {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    if (cluster != null) {
      checkSubscribers(cluster);
      vertx.setPeriodic(SUBSCRIBER_CHECK_MILLIS, id -> checkSubscribers(cluster));
    }
    vertx.eventBus().<Batch>localConsumer(ADDRESS, msg -> {
      if (!subscribed) {
        return;
      }
      for (Event e : msg.body().events()) {
        vertx.eventBus().publish(Addresses.EVENTS, ModelJson.toJson(e),
            new DeliveryOptions().addHeader("revision", Long.toString(e.revision())));
      }
    });
  }

  private void checkSubscribers(ClusterManager cluster) {
    Promise<List<RegistrationInfo>> registrations = Promise.promise();
    cluster.getRegistrations(Addresses.EVENTS, registrations);
    registrations.future().onComplete(ar -> subscribed = ar.failed() || !ar.result().isEmpty());
  }
}
