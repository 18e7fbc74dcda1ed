package io.cairn.eventbus;

import io.cairn.api.Access;
import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.client.RegistryServiceVertxProxyHandler;
import io.cairn.node.Addresses;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

/**
 * Serves {@link io.cairn.client.RegistryService} on {@link Addresses#REGISTRY} for callers anywhere in the cluster.
 * A caller names itself with the service proxies' token header ({@code auth-token}, which
 * {@code ServiceProxyBuilder.setToken} sets); the generated handler dispatches each message to the service within
 * the same call, so the caller authenticated for a message is the one its operation sees.
 */
public class EventBusApiVerticle extends AbstractVerticle {
  /** The header Vert.x service proxies carry a token in. */
  public static final String TOKEN_HEADER = "auth-token";

  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final RegistryOperations ops;
  private final RouteOperations routes;
  private MessageConsumer<JsonObject> consumer;

  public EventBusApiVerticle(NodeState node, Replica replica, Access access, RegistryOperations ops,
                             RouteOperations routes) {
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.ops = ops;
    this.routes = routes;
  }

  @Override
  public void start() {
    EventBusRegistryService service = new EventBusRegistryService(ops, routes, node, replica, access);
    RegistryServiceVertxProxyHandler dispatch = new RegistryServiceVertxProxyHandler(vertx, service);
    consumer = vertx.eventBus().consumer(Addresses.REGISTRY, (Message<JsonObject> msg) -> {
      Caller caller;
      try {
        caller = access.authenticate(msg.headers().get(TOKEN_HEADER), null, "eventbus");
      } catch (ApiException e) {
        msg.reply(new ServiceException(e.status(), e.getMessage(), e.toJson()));
        return;
      }
      service.callAs(caller, () -> dispatch.handle(msg));
    });
  }

  @Override
  public void stop() {
    if (consumer != null) {
      consumer.unregister();
    }
  }
}
