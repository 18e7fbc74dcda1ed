package io.cairn.replication;

import io.cairn.Addresses;
import io.cairn.model.Event;
import io.cairn.model.ModelJson;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.List;

/**
 * Encodes events and publishes them on {@link Addresses#EVENTS}, on an event loop of its own so that the loop
 * applying the log does not spend its time writing JSON. The replication verticle decides what to publish and
 * sends batches here in revision order; one consumer keeps that order.
 */
public class EventPublisherVerticle extends AbstractVerticle {
  /** Local address of this verticle. */
  static final String ADDRESS = "cairn.replication.publish";

  /** Events to publish, oldest first. */
  public record Batch(List<Event> events) {
  }

  @Override
  public void start() {
    vertx.eventBus().<Batch>localConsumer(ADDRESS, msg -> {
      for (Event e : msg.body().events()) {
        vertx.eventBus().publish(Addresses.EVENTS, ModelJson.toJson(e),
            new DeliveryOptions().addHeader("revision", Long.toString(e.revision())));
      }
    });
  }
}
