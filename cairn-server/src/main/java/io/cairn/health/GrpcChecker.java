package io.cairn.health;

import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;

import java.util.concurrent.TimeUnit;

/**
 * {@code grpc}: the standard {@code grpc.health.v1.Health/Check} on the instance's address and port, for
 * {@code service} ("" asks about the whole server). SERVING is healthy; NOT_SERVING, an unknown service, an error
 * status or no answer are unhealthy. TLS when {@code tls}.
 */
public final class GrpcChecker implements Checker {
  private static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> CHECK = ServiceMethod.client(
      ServiceName.create("grpc.health.v1", "Health"), "Check", GrpcMessageEncoder.encoder(),
      GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));

  private GrpcClient plain;
  private GrpcClient tls;
  private GrpcClient tlsTrustingAll;

  @Override
  public String type() {
    return "grpc";
  }

  @Override
  public void init(Vertx vertx) {
    plain = GrpcClient.client(vertx, new GrpcClientOptions(), new HttpClientOptions().setHttp2ClearTextUpgrade(false));
    tls = GrpcClient.client(vertx, new GrpcClientOptions(), new HttpClientOptions().setSsl(true).setUseAlpn(true));
    tlsTrustingAll = GrpcClient.client(vertx, new GrpcClientOptions(),
        new HttpClientOptions().setSsl(true).setUseAlpn(true).setTrustAll(true).setVerifyHost(false));
  }

  @Override
  public Future<CheckResult> check(ServiceEntry instance, Check check) {
    GrpcClient client = !check.tls() ? plain : check.tlsSkipVerify() ? tlsTrustingAll : tls;
    String service = check.service() == null ? "" : check.service();
    return client.request(SocketAddress.inetSocketAddress(instance.port(), instance.address()), CHECK)
        .compose(req -> {
          req.timeout(check.timeoutMillis(), TimeUnit.MILLISECONDS);
          return req.send(HealthCheckRequest.newBuilder().setService(service).build());
        })
        .compose(resp -> resp.last().map(answer -> result(answer.getStatus()))
            .recover(err -> Future.succeededFuture(resp.status() != null && resp.status() != GrpcStatus.OK
                ? CheckResult.unhealthy("gRPC status " + resp.status()) : CheckResult.unhealthy(err.toString()))));
  }

  static CheckResult result(HealthCheckResponse.ServingStatus status) {
    return status == HealthCheckResponse.ServingStatus.SERVING ? CheckResult.healthy("SERVING")
        : CheckResult.unhealthy(status.name());
  }
}
