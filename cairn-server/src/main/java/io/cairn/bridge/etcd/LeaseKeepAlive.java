package io.cairn.bridge.etcd;

import io.etcd.jetcd.api.EtcdLeaseGrpcClient;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.vertx.core.Future;

import java.util.function.Consumer;

/**
 * One lease kept alive on etcd's {@code LeaseKeepAlive} stream ({@link EtcdClient#keepAlive}): a request every third
 * of the TTL, so that two may go unanswered before the lease expires. It says the lease is lost, once, when etcd
 * answers a TTL of 0 or less, when the stream ends or breaks, or when no answer came for a whole TTL (etcd frozen
 * or cut off without the connection noticing): by then etcd has let it expire.
 */
public final class LeaseKeepAlive extends EtcdStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
  private final long lease;
  private final long ttlMillis;
  private final LeaseKeepAliveRequest ping;
  private long timer = -1;
  private long heardAt;

  private LeaseKeepAlive(EtcdClient client, long lease, long ttlSeconds, Consumer<Throwable> lost) {
    super(client, lost);
    this.lease = lease;
    this.ttlMillis = ttlSeconds * 1000;
    this.ping = LeaseKeepAliveRequest.newBuilder().setID(lease).build();
  }

  static Future<LeaseKeepAlive> open(EtcdClient client, long lease, long ttlSeconds, Consumer<Throwable> lost) {
    LeaseKeepAlive k = new LeaseKeepAlive(client, lease, ttlSeconds, lost);
    return k.open(EtcdLeaseGrpcClient.LeaseKeepAlive, k.ping, "the keep-alive stream of lease " + lease).map(k);
  }

  @Override
  protected void started() {
    heardAt = System.currentTimeMillis();
    timer = client.vertx().setPeriodic(Math.max(1, ttlMillis / 3), id -> {
      if (System.currentTimeMillis() - heardAt > ttlMillis) {
        end(new EtcdException("etcd " + client.endpoint() + " did not answer the keep-alive of lease " + lease
            + " for " + ttlMillis + " ms", null));
      } else {
        write(ping);
      }
    });
  }

  @Override
  protected void answered(LeaseKeepAliveResponse answer) {
    if (answer.getTTL() <= 0) {
      end(new EtcdException("etcd " + client.endpoint() + ": lease " + lease + " is gone (expired or revoked)",
          null));
      return;
    }
    heardAt = System.currentTimeMillis();
    confirmed();
  }

  public long lease() {
    return lease;
  }

  /** Stops sending keep-alives; the lease lives on until its TTL runs out. */
  public void stop() {
    close();
  }

  @Override
  protected void close() {
    super.close();
    if (timer >= 0) {
      client.vertx().cancelTimer(timer);
      timer = -1;
    }
  }
}
