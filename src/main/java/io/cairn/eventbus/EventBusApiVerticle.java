package io.cairn.eventbus;

import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.api.QueryCache;
import io.cairn.api.RegistryOperations;
import io.cairn.client.RegistryService;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;

/** Serves {@link RegistryService} on {@link Addresses#REGISTRY} for callers anywhere in the cluster. */
public class EventBusApiVerticle extends AbstractVerticle {
  private final NodeContext node;
  private final QueryCache cache;
  private MessageConsumer<JsonObject> consumer;

  public EventBusApiVerticle(NodeContext node, QueryCache cache) {
    this.node = node;
    this.cache = cache;
  }

  @Override
  public void start() {
    RegistryService service = new EventBusRegistryService(new RegistryOperations(vertx, node, cache), node);
    consumer = new ServiceBinder(vertx).setAddress(Addresses.REGISTRY).register(RegistryService.class, service);
  }

  @Override
  public void stop() {
    if (consumer != null) {
      new ServiceBinder(vertx).unregister(consumer);
    }
  }
}
