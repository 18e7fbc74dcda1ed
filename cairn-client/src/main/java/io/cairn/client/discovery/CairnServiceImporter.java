package io.cairn.client.discovery;

import io.cairn.client.CairnClient;
import io.cairn.client.InstanceListener;
import io.cairn.grpc.v1.Instance;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.Status;
import io.vertx.servicediscovery.spi.ServiceImporter;
import io.vertx.servicediscovery.spi.ServicePublisher;
import io.vertx.servicediscovery.types.HttpEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mirrors Cairn's instances into a Vert.x {@code ServiceDiscovery}: each instance is an {@code http-endpoint}
 * record, {@code UP} while it is in rotation (healthy or degraded, enabled, not draining), {@code OUT_OF_SERVICE}
 * while it is disabled or drains, {@code DOWN} while unhealthy or unknown, kept current by Cairn's watch stream
 * (over gRPC, resuming on another node when one goes away) and removed when the instance is deregistered.
 *
 * <pre>{@code
 * discovery.registerServiceImporter(new CairnServiceImporter(), new JsonObject()
 *     .put("nodes", new JsonArray().add("10.0.0.1:8081").add("10.0.0.2:8081"))  // Cairn nodes (HTTP port)
 *     .put("names", new JsonArray().add("checkout"))   // optional: these services only (default: all)
 *     .put("token", "..."));                           // optional: a Cairn token that may read them
 * }</pre>
 * Lookups such as {@code HttpEndpoint.getWebClient(discovery, new JsonObject().put("name", "checkout"))} then find
 * the instances in rotation (a ServiceDiscovery returns {@code UP} records only, unless asked for all).
 */
public final class CairnServiceImporter implements ServiceImporter {
  /** Metadata of every imported record: the Cairn instance id (the exporter leaves such records alone). */
  public static final String INSTANCE_ID = "cairn.instance";
  private static final Logger log = LoggerFactory.getLogger(CairnServiceImporter.class);

  private CairnClient client;
  private ServicePublisher publisher;
  /** Where every change is applied, in the order the watch gave them. */
  private io.vertx.core.Context context;
  /** Instance id → its record as last published (or being published), one change after the other. */
  private final Map<String, Future<Record>> records = new HashMap<>();

  @Override
  public void start(Vertx vertx, ServicePublisher publisher, JsonObject configuration, Promise<Void> started) {
    this.publisher = publisher;
    this.context = vertx.getOrCreateContext();
    try {
      client = CairnClients.fromConfiguration(vertx, configuration);
    } catch (IllegalArgumentException e) {
      started.fail(e);
      return;
    }
    JsonArray names = configuration.getJsonArray("names", new JsonArray().add(""));
    List<Future<?>> loads = new ArrayList<>();
    for (Object n : names) {
      String name = (String) n;
      client.addListener(name, new InstanceListener() {
        @Override
        public void changed(Instance instance, boolean removed) {
          context.runOnContext(v -> apply(instance, removed));
        }
      });
      loads.add(client.watch(name).onSuccess(instances -> context.runOnContext(v -> {
        for (Instance i : instances) {
          apply(i, false);
        }
      })));
    }
    Future.all(loads).<Void>mapEmpty().onComplete(ar -> {
      if (ar.failed()) {
        client.close();
      }
      started.handle(ar);
    });
  }

  /** Publishes, updates or unpublishes the instance's record; changes to one instance run in order. */
  private void apply(Instance instance, boolean removed) {
    Future<Record> previous = records.get(instance.getId());
    if (removed) {
      if (previous != null) {
        records.remove(instance.getId());
        previous.compose(r -> publisher.unpublish(r.getRegistration()))
            .onFailure(e -> log.warn("Could not unpublish {}: {}", instance.getId(), e.toString()));
      }
      return;
    }
    Record wanted = record(instance);
    Future<Record> next = previous == null ? publisher.publish(wanted)
        : previous.compose(r -> publisher.update(wanted.setRegistration(r.getRegistration())),
            failed -> publisher.publish(wanted));
    records.put(instance.getId(), next.onFailure(e -> log.warn("Could not publish {}: {}", instance.getId(),
        e.toString())));
  }

  static Record record(Instance i) {
    JsonObject metadata = new JsonObject();
    i.getMetadataMap().forEach(metadata::put);
    // Cairn's own fields last: an instance's metadata cannot pass for them.
    metadata.put(INSTANCE_ID, i.getId()).put("version", i.getVersion()).put("region", i.getRegion())
        .put("zone", i.getZone()).put("health", i.getHealth())
        .put("tags", new JsonArray(new ArrayList<>(i.getTagsList())));
    Record record = HttpEndpoint.createRecord(i.getName(), i.getAddress(), i.getPort(), "/", metadata);
    return record.setStatus(status(i));
  }

  static Status status(Instance i) {
    if (!i.getEnabled() || i.getDraining()) {
      return Status.OUT_OF_SERVICE;
    }
    return i.getHealth().equals("healthy") || i.getHealth().equals("degraded") ? Status.UP : Status.DOWN;
  }

  @Override
  public void close(Handler<Void> closed) {
    List<Future<Void>> unpublished = new ArrayList<>();
    for (Future<Record> r : records.values()) {
      unpublished.add(r.compose(record -> publisher.unpublish(record.getRegistration())));
    }
    records.clear();
    Future.join(unpublished).onComplete(ar -> {
      if (client != null) {
        client.close();
      }
      closed.handle(null);
    });
  }
}
