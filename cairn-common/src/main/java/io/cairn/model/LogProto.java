package io.cairn.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.log.v1.LogCheck;
import io.cairn.log.v1.LogCheckRun;
import io.cairn.log.v1.LogCommand;
import io.cairn.log.v1.LogCommandType;
import io.cairn.log.v1.LogHealth;
import io.cairn.log.v1.LogInstance;
import io.cairn.log.v1.LogNode;
import io.cairn.log.v1.LogNodeStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The model in the log's binary form (cairn/log/v1/log.proto): a {@link Command} as the log holds it, and the
 * instances and nodes a snapshot holds. Every field round-trips exactly, absent strings included. Reading trusts
 * its input (a node wrote it); strings that repeat across instances go through {@link Canonical}.
 */
public final class LogProto {
  private LogProto() {
  }

  public static byte[] bytes(Command c) {
    return toProto(c).toByteArray();
  }

  public static Command command(byte[] bytes, int offset, int length) {
    try {
      return fromProto(LogCommand.parser().parseFrom(bytes, offset, length));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a Cairn log command: " + e.getMessage(), e);
    }
  }

  public static LogCommand toProto(Command c) {
    LogCommand.Builder b = LogCommand.newBuilder()
        .setType(LogCommandType.valueOf(c.type().name()))
        .setOrigin(c.origin())
        .setRequestId(c.requestId())
        .setTimestamp(c.timestamp())
        .setTerm(c.term())
        .setCreate(c.create());
    if (c.service() != null) {
      b.setService(toProto(c.service()));
    }
    if (c.id() != null) {
      b.setId(c.id());
    }
    if (c.cas() != Command.NO_CAS) {
      b.setCas(c.cas());
    }
    if (c.health() != null) {
      b.setHealth(toProto(c.health()));
    }
    if (c.reason() != null) {
      b.setReason(c.reason());
    }
    if (c.node() != null) {
      b.setNode(toProto(c.node()));
    }
    if (c.outcome() != null) {
      b.setOutcome(toProto(c.outcome()));
    }
    if (c.route() != null) {
      b.setRouteJson(routeJson(c.route()));
    }
    return b.build();
  }

  public static Command fromProto(LogCommand p) {
    return new Command(
        Command.Type.valueOf(p.getType().name()),
        Canonical.of(p.getOrigin()),
        p.getRequestId(),
        p.getTimestamp(),
        p.getTerm(),
        p.hasService() ? fromProto(p.getService()) : null,
        p.hasId() ? p.getId() : null,
        p.hasCas() ? p.getCas() : Command.NO_CAS,
        p.getCreate(),
        fromProto(p.getHealth()),
        p.hasReason() ? p.getReason() : null,
        p.hasNode() ? fromProto(p.getNode()) : null,
        p.hasOutcome() ? fromProto(p.getOutcome()) : null,
        p.getRouteJson().isEmpty() ? null : route(p.getRouteJson()));
  }

  /** A route written in the API's JSON inside the binary log. */
  public static Route route(ByteString json) {
    JsonObject j = new JsonObject(Buffer.buffer(json.toByteArray()));
    return Routes.parse(j, j.getString("id"));
  }

  public static ByteString routeJson(Route r) {
    return ByteString.copyFrom(Routes.toJson(r).encode(), StandardCharsets.UTF_8);
  }

  /**
   * An instance with its state. A registration carries the state its client was given too (a few bytes), so that
   * the command reads back exactly as it was written, although applying it decides the state anew.
   */
  public static LogInstance toProto(ServiceEntry e) {
    LogInstance.Builder b = LogInstance.newBuilder()
        .setId(e.id())
        .setName(e.name())
        .setAddress(e.address())
        .setPort(e.port())
        .addAllTags(e.tags())
        .putAllMetadata(e.metadata())
        .setWeight(e.weight())
        .setTtlMillis(e.ttlMillis())
        .setHealth(toProto(e.health()))
        .setEnabled(e.enabled())
        .setDraining(e.draining())
        .setRegisteredAt(e.registeredAt())
        .setLastHeartbeat(e.lastHeartbeat())
        .setHealthSince(e.healthSince())
        .setRevision(e.revision());
    if (e.node() != null) {
      b.setNode(e.node());
    }
    if (e.lastCheck() != null) {
      b.setLastCheck(toProto(e.lastCheck()));
    }
    if (e.healthReason() != null) {
      b.setHealthReason(e.healthReason());
    }
    if (e.version() != null) {
      b.setVersion(e.version());
    }
    if (e.region() != null) {
      b.setRegion(e.region());
    }
    if (e.zone() != null) {
      b.setZone(e.zone());
    }
    if (e.check() != null) {
      b.setCheck(toProto(e.check()));
    }
    return b.build();
  }

  public static ServiceEntry fromProto(LogInstance p) {
    return new ServiceEntry(
        p.getId(),
        Canonical.of(p.getName()),
        p.hasVersion() ? Canonical.of(p.getVersion()) : null,
        p.getAddress(),
        p.getPort(),
        strings(p.getTagsList()),
        stringMap(p.getMetadataMap()),
        p.hasRegion() ? Canonical.of(p.getRegion()) : null,
        p.hasZone() ? Canonical.of(p.getZone()) : null,
        p.getWeight(),
        p.hasNode() ? Canonical.of(p.getNode()) : null,
        p.hasCheck() ? fromProto(p.getCheck()) : null,
        p.getTtlMillis(),
        fromProto(p.getHealth()),
        p.getEnabled(),
        p.getDraining(),
        p.getRegisteredAt(),
        p.hasLastCheck() ? fromProto(p.getLastCheck()) : null,
        p.getLastHeartbeat(),
        p.getHealthSince(),
        p.hasHealthReason() ? Canonical.of(p.getHealthReason()) : null,
        p.getRevision());
  }

  private static LogCheck toProto(Check c) {
    LogCheck.Builder b = LogCheck.newBuilder()
        .setType(c.type())
        .setTls(c.tls())
        .setTlsSkipVerify(c.tlsSkipVerify())
        .putAllHeaders(c.headers())
        .setIntervalMillis(c.intervalMillis())
        .setTimeoutMillis(c.timeoutMillis())
        .setFailuresBeforeUnhealthy(c.failuresBeforeUnhealthy())
        .setSuccessesBeforeHealthy(c.successesBeforeHealthy())
        .setGracePeriodMillis(c.gracePeriodMillis())
        .setDeregisterAfterMillis(c.deregisterAfterMillis());
    if (c.path() != null) {
      b.setPath(c.path());
    }
    if (c.url() != null) {
      b.setUrl(c.url());
    }
    if (c.service() != null) {
      b.setService(c.service());
    }
    return b.build();
  }

  private static Check fromProto(LogCheck p) {
    return new Check(Canonical.of(p.getType()), p.hasPath() ? p.getPath() : null, p.hasUrl() ? p.getUrl() : null,
        p.hasService() ? p.getService() : null, p.getTls(), p.getTlsSkipVerify(), new TreeMap<>(p.getHeadersMap()),
        p.getIntervalMillis(), p.getTimeoutMillis(), p.getFailuresBeforeUnhealthy(), p.getSuccessesBeforeHealthy(),
        p.getGracePeriodMillis(), p.getDeregisterAfterMillis());
  }

  private static LogCheckRun toProto(CheckOutcome o) {
    LogCheckRun.Builder b = LogCheckRun.newBuilder()
        .setAt(o.at())
        .setStatus(toProto(o.status()))
        .setDurationMillis(o.durationMillis());
    if (o.output() != null) {
      b.setOutput(o.output());
    }
    if (o.node() != null) {
      b.setNode(o.node());
    }
    return b.build();
  }

  private static CheckOutcome fromProto(LogCheckRun p) {
    return new CheckOutcome(p.getAt(), fromProto(p.getStatus()), p.hasOutput() ? p.getOutput() : null,
        p.getDurationMillis(), p.hasNode() ? Canonical.of(p.getNode()) : null);
  }

  public static LogNode toProto(NodeInfo n) {
    LogNode.Builder b = LogNode.newBuilder()
        .setId(n.id())
        .setName(n.name())
        .setHttpPort(n.httpPort())
        .setRegion(n.region())
        .setZone(n.zone())
        .addAllTags(n.tags())
        .setStartedAt(n.startedAt())
        .setStatus(LogNodeStatus.valueOf(n.status().name()))
        .setJoinedAt(n.joinedAt())
        .setSince(n.since());
    if (n.memberId() != null) {
      b.setMemberId(n.memberId());
    }
    if (n.host() != null) {
      b.setHost(n.host());
    }
    if (n.grpcAddress() != null) {
      b.setGrpcAddress(n.grpcAddress());
    }
    if (n.clusterAddress() != null) {
      b.setClusterAddress(n.clusterAddress());
    }
    if (n.version() != null) {
      b.setVersion(n.version());
    }
    return b.build();
  }

  public static NodeInfo fromProto(LogNode p) {
    return new NodeInfo(p.getId(), p.getName(), p.hasMemberId() ? p.getMemberId() : null,
        p.hasHost() ? p.getHost() : null, p.getHttpPort(), p.hasGrpcAddress() ? p.getGrpcAddress() : null,
        p.hasClusterAddress() ? p.getClusterAddress() : null, p.getRegion(), p.getZone(),
        p.hasVersion() ? p.getVersion() : null, strings(p.getTagsList()), p.getStartedAt(),
        NodeInfo.Status.valueOf(p.getStatus().name()), p.getJoinedAt(), p.getSince());
  }

  private static LogHealth toProto(Health h) {
    return LogHealth.valueOf(h.name());
  }

  /** Null for an absent health (a command that sets none). */
  private static Health fromProto(LogHealth h) {
    return switch (h) {
      case HEALTHY -> Health.HEALTHY;
      case DEGRADED -> Health.DEGRADED;
      case UNHEALTHY -> Health.UNHEALTHY;
      case UNKNOWN -> Health.UNKNOWN;
      default -> null;
    };
  }

  private static List<String> strings(List<String> values) {
    if (values.isEmpty()) {
      return List.of();
    }
    List<String> list = new ArrayList<>(values.size());
    for (String v : values) {
      list.add(Canonical.of(v));
    }
    return Collections.unmodifiableList(list);
  }

  private static SortedMap<String, String> stringMap(Map<String, String> values) {
    TreeMap<String, String> map = new TreeMap<>();
    for (var e : values.entrySet()) {
      map.put(Canonical.of(e.getKey()), e.getValue());
    }
    return Collections.unmodifiableSortedMap(map);
  }
}
