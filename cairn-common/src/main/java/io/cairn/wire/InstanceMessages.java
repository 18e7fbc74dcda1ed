package io.cairn.wire;

import io.cairn.grpc.v1.Check;
import io.cairn.grpc.v1.CheckRun;
import io.cairn.grpc.v1.Instance;
import io.cairn.model.Canonical;
import io.cairn.model.CheckOutcome;
import io.cairn.model.Durations;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An instance between the model ({@link ServiceEntry}) and gRPC's {@link Instance} message, both ways: the node
 * answers and streams instances as messages, and a client that keeps a registry from a Watch stream (the agent's
 * sidecar) reads them back into the model that the gateway and discovery share. Here, beside both, so that the
 * server and the client convert alike.
 */
public final class InstanceMessages {
  private InstanceMessages() {
  }

  /** What discovery hands out: healthy or degraded, in rotation, not leaving. */
  public static boolean passing(Instance i) {
    Health health = Health.parse(i.getHealth());
    return health != null && health.servesTraffic() && i.getEnabled() && !i.getDraining();
  }

  /** The entry as a message; a field the model leaves null is left unset. */
  public static Instance message(ServiceEntry e) {
    Instance.Builder b = Instance.newBuilder()
        .setId(e.id())
        .setName(e.name())
        .setAddress(e.address())
        .setPort(e.port())
        .addAllTags(e.tags())
        .putAllMetadata(e.metadata())
        .setWeight(e.weight())
        .setHealth(e.health().json())
        .setEnabled(e.enabled())
        .setDraining(e.draining())
        .setRegisteredAt(e.registeredAt())
        .setLastHeartbeat(e.lastHeartbeat())
        .setHealthSince(e.healthSince())
        .setRevision(e.revision());
    if (e.version() != null) {
      b.setVersion(e.version());
    }
    if (e.region() != null) {
      b.setRegion(e.region());
    }
    if (e.zone() != null) {
      b.setZone(e.zone());
    }
    if (e.node() != null) {
      b.setNode(e.node());
    }
    if (e.ttlMillis() > 0) {
      b.setTtl(Durations.format(e.ttlMillis()));
    }
    if (e.healthReason() != null) {
      b.setHealthReason(e.healthReason());
    }
    if (e.check() != null) {
      b.setCheck(check(e.check()));
    }
    if (e.lastCheck() != null) {
      b.setLastCheck(checkRun(e.lastCheck()));
    }
    return b.build();
  }

  /** A check result as a message. */
  public static CheckRun checkRun(CheckOutcome o) {
    CheckRun.Builder b = CheckRun.newBuilder().setAt(o.at()).setStatus(o.status().json())
        .setDurationMillis(o.durationMillis());
    if (o.output() != null) {
      b.setOutput(o.output());
    }
    if (o.node() != null) {
      b.setNode(o.node());
    }
    return b.build();
  }

  /**
   * The message as the model has it: what {@link #message} wrote reads back equal. Text proto3 leaves empty is
   * null in the model, as a node never stores an empty version, region, zone or node; an unknown health string
   * (a newer node's) reads as unknown, which keeps the instance out of rotation rather than failing the stream.
   */
  public static ServiceEntry entry(Instance i) {
    Health health = Health.parse(i.getHealth());
    return new ServiceEntry(
        i.getId(),
        Canonical.of(i.getName()),
        Canonical.of(text(i.getVersion())),
        i.getAddress(),
        i.getPort(),
        i.getTagsList().stream().map(Canonical::of).toList(),
        new TreeMap<>(i.getMetadataMap()),
        Canonical.of(text(i.getRegion())),
        Canonical.of(text(i.getZone())),
        i.hasWeight() ? i.getWeight() : 1,
        Canonical.of(text(i.getNode())),
        i.hasCheck() ? check(i.getCheck()) : null,
        i.getTtl().isEmpty() ? 0 : Durations.parse(i.getTtl()),
        health == null ? Health.UNKNOWN : health,
        i.getEnabled(),
        i.getDraining(),
        i.getRegisteredAt(),
        i.hasLastCheck() ? outcome(i.getLastCheck()) : null,
        i.getLastHeartbeat(),
        i.getHealthSince(),
        text(i.getHealthReason()),
        i.getRevision());
  }

  /** The model's check as a message (the two share a simple name, so the model's is spelled out). */
  private static Check check(io.cairn.model.Check c) {
    Check.Builder b = Check.newBuilder().setType(c.type()).setTls(c.tls()).setTlsSkipVerify(c.tlsSkipVerify())
        .putAllHeaders(c.headers());
    if (c.path() != null) {
      b.setPath(c.path());
    }
    if (c.url() != null) {
      b.setUrl(c.url());
    }
    if (c.service() != null) {
      b.setService(c.service());
    }
    if (!c.isTtl()) {
      b.setInterval(Durations.format(c.intervalMillis()))
          .setTimeout(Durations.format(c.timeoutMillis()))
          .setFailuresBeforeUnhealthy(c.failuresBeforeUnhealthy())
          .setSuccessesBeforeHealthy(c.successesBeforeHealthy());
      if (c.gracePeriodMillis() > 0) {
        b.setGracePeriod(Durations.format(c.gracePeriodMillis()));
      }
    }
    if (c.deregisterAfterMillis() > 0) {
      b.setDeregisterAfter(Durations.format(c.deregisterAfterMillis()));
    }
    return b.build();
  }

  private static io.cairn.model.Check check(Check c) {
    SortedMap<String, String> headers = new TreeMap<>(c.getHeadersMap());
    return new io.cairn.model.Check(c.getType(), text(c.getPath()), text(c.getUrl()), text(c.getService()),
        c.getTls(), c.getTlsSkipVerify(), headers, millis(c.getInterval()), millis(c.getTimeout()),
        c.hasFailuresBeforeUnhealthy() ? c.getFailuresBeforeUnhealthy() : 1,
        c.hasSuccessesBeforeHealthy() ? c.getSuccessesBeforeHealthy() : 1, millis(c.getGracePeriod()),
        millis(c.getDeregisterAfter()));
  }

  private static CheckOutcome outcome(CheckRun r) {
    Health status = Health.parse(r.getStatus());
    return new CheckOutcome(r.getAt(), status == null ? Health.UNKNOWN : status, text(r.getOutput()),
        r.getDurationMillis(), text(r.getNode()));
  }

  private static long millis(String duration) {
    return duration.isEmpty() ? 0 : Durations.parse(duration);
  }

  private static String text(String value) {
    return value.isEmpty() ? null : value;
  }
}
