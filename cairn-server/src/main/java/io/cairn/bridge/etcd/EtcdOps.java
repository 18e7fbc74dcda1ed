package io.cairn.bridge.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;

/** The pieces of an etcd transaction ({@link EtcdClient#txn}), keys and values as UTF-8 text. */
public final class EtcdOps {
  private EtcdOps() {
  }

  public static ByteString bytes(String text) {
    return ByteString.copyFromUtf8(text);
  }

  /** Puts {@code value} at {@code key}, under {@code lease} (0: none). */
  public static RequestOp put(String key, String value, long lease) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value))
        .setLease(lease)).build();
  }

  public static RequestOp delete(String key) {
    return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(bytes(key))).build();
  }

  public static RequestOp get(String key) {
    return RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(bytes(key))).build();
  }

  /** The key does not exist (etcd compares a missing key's value as never equal, so ask its creation revision). */
  public static Compare absent(String key) {
    return Compare.newBuilder().setKey(bytes(key)).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0).build();
  }

  public static Compare valueEquals(String key, String value) {
    return value(key, Compare.CompareResult.EQUAL, value);
  }

  /** The key's value sorts before {@code value}, byte by byte (a missing key fails the comparison). */
  public static Compare valueBelow(String key, String value) {
    return value(key, Compare.CompareResult.LESS, value);
  }

  private static Compare value(String key, Compare.CompareResult result, String value) {
    return Compare.newBuilder().setKey(bytes(key)).setTarget(Compare.CompareTarget.VALUE).setResult(result)
        .setValue(bytes(value)).build();
  }
}
