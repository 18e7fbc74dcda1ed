package io.cairn.client.discovery;

import io.cairn.client.CairnClient;
import io.cairn.client.KeepAlive;
import io.cairn.grpc.v1.Instance;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.Status;
import io.vertx.servicediscovery.spi.ServiceExporter;
import io.vertx.servicediscovery.spi.ServicePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Publishes into Cairn the records announced in a Vert.x {@code ServiceDiscovery}: each record with a location that
 * has a host and a port (an {@code http-endpoint}, or any record whose location names {@code host} and {@code port})
 * becomes a Cairn instance of the record's name (in lower case), with a TTL that this exporter keeps alive over a
 * heartbeat stream, so that the instance turns unhealthy when the application dies without unpublishing. A record
 * going {@code OUT_OF_SERVICE} drains the instance, {@code DOWN} disables it, {@code UP} enables it again;
 * unpublishing deregisters it. Records the {@link CairnServiceImporter} brought from Cairn are left alone.
 *
 * <pre>{@code
 * discovery.registerServiceExporter(new CairnServiceExporter(), new JsonObject()
 *     .put("nodes", new JsonArray().add("10.0.0.1:8081"))  // Cairn nodes (HTTP port)
 *     .put("ttl", "10s")                                   // optional (default 10s)
 *     .put("token", "..."));                               // optional: a token that may register the names
 * }</pre>
 */
public final class CairnServiceExporter implements ServiceExporter {
  private static final Logger log = LoggerFactory.getLogger(CairnServiceExporter.class);
  private static final String DEFAULT_TTL = "10s";

  private CairnClient client;
  private io.vertx.core.Context context;
  private String ttl;
  private long ttlMillis;
  /** Registration id of a record → what was exported of it. */
  private final Map<String, Exported> exported = new HashMap<>();

  /** A record in Cairn: its instance (once registered) and keep-alive; changes to it run one after the other. */
  private static final class Exported {
    Record record;
    String instanceId;
    KeepAlive keepAlive;
    Future<Void> last = Future.succeededFuture();
  }

  @Override
  public void init(Vertx vertx, ServicePublisher publisher, JsonObject configuration, Promise<Void> ready) {
    context = vertx.getOrCreateContext();
    ttl = configuration.getString("ttl", DEFAULT_TTL);
    try {
      ttlMillis = io.cairn.model.Durations.parse(ttl);
      client = CairnClients.fromConfiguration(vertx, configuration);
    } catch (IllegalArgumentException e) {
      ready.fail(e);
      return;
    }
    ready.complete();
  }

  @Override
  public void onPublish(Record record) {
    context.runOnContext(v -> export(record));
  }

  @Override
  public void onUpdate(Record record) {
    context.runOnContext(v -> export(record));
  }

  @Override
  public void onUnpublish(String registration) {
    context.runOnContext(v -> {
      Exported e = exported.remove(registration);
      if (e != null) {
        // After whatever was under way for it, failed or not.
        e.last.transform(done -> remove(e)).onFailure(err -> log.warn(
            "Could not deregister the record {} from Cairn: {}", registration, err.toString()));
      }
    });
  }

  private void export(Record record) {
    JsonObject location = record.getLocation();
    if (record.getMetadata() != null && record.getMetadata().containsKey(CairnServiceImporter.INSTANCE_ID)
        || location == null || location.getString("host") == null || location.getInteger("port") == null) {
      return; // imported from Cairn, or nothing Cairn can reach at an address and a port
    }
    Exported e = exported.computeIfAbsent(record.getRegistration(), k -> new Exported());
    e.record = record;
    step(e);
  }

  /** Brings Cairn in line with the record as it is now, after the step before (which may have failed). */
  private void step(Exported e) {
    Record record = e.record;
    e.last = e.last.transform(before -> client.register(instance(record, e.instanceId)).compose(i -> {
      if (e.instanceId == null) {
        e.instanceId = i.getId();
        e.keepAlive = client.keepAlive(List.of(i.getId()), Duration.ofMillis(Math.max(250, ttlMillis / 3)),
            () -> true, unknown -> context.runOnContext(v -> {
              // A cluster restored without the instance (a cold restart without its data): the record comes back.
              if (exported.get(record.getRegistration()) == e) {
                step(e);
              }
            }));
      }
      return rotation(record.getStatus(), i.getId());
    })).<Void>mapEmpty().onFailure(err -> log.warn("Could not publish the record {} ({}) into Cairn: {}",
        record.getName(), record.getRegistration(), err.toString()));
  }

  private Future<?> rotation(Status status, String id) {
    switch (status == null ? Status.UP : status) {
      case OUT_OF_SERVICE: return client.drain(id);
      case DOWN: return client.disable(id);
      default: return client.enable(id);
    }
  }

  private Instance instance(Record record, String id) {
    JsonObject location = record.getLocation();
    Instance.Builder b = Instance.newBuilder()
        .setName(record.getName().toLowerCase(Locale.ROOT))
        .setAddress(location.getString("host"))
        .setPort(location.getInteger("port"))
        .setTtl(ttl)
        .putMetadata("vertx.registration", record.getRegistration())
        .putMetadata("vertx.type", String.valueOf(record.getType()));
    if (id != null) {
      b.setId(id);
    }
    if (record.getMetadata() != null) {
      record.getMetadata().forEach(m -> {
        if (m.getValue() instanceof String && !((String) m.getValue()).isEmpty()) {
          b.putMetadata(m.getKey(), (String) m.getValue());
        }
      });
    }
    return b.build();
  }

  private Future<Void> remove(Exported e) {
    if (e.keepAlive != null) {
      e.keepAlive.close();
    }
    return e.instanceId == null ? Future.succeededFuture() : client.deregister(e.instanceId).mapEmpty();
  }

  @Override
  public void close(Handler<Void> closed) {
    context.runOnContext(v -> {
      List<Future<Void>> removed = new ArrayList<>();
      for (Exported e : exported.values()) {
        removed.add(e.last.transform(done -> remove(e)));
      }
      exported.clear();
      Future.join(removed).onComplete(ar -> {
        client.close();
        closed.handle(null);
      });
    });
  }
}
