package io.cairn.bench.scale;

import com.google.protobuf.CodedInputStream;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The revision of a service event read straight from the bytes of a frame, without decoding the rest: the
 * benchmark JVM reads tens of thousands of frames a second on the same two cores as the nodes, and should spend as
 * little of them as it can. -1 for anything that is not a service event (progress notes, keep-alives, snapshots).
 */
final class StreamFrames {
  private static final byte[] SSE_ID = "id: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SSE_SERVICE_EVENT = "event: service".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] WS_SERVICE_EVENT = "{\"type\":\"service".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] REVISION = "\"revision\":".getBytes(StandardCharsets.US_ASCII);
  /** WatchEvent's field 1 (type, a string) and field 2 (revision, a varint), as protobuf tags. */
  private static final int TYPE_TAG = 1 << 3 | 2;
  private static final int REVISION_TAG = 2 << 3;

  private StreamFrames() {
  }

  /** An SSE line "id: R" or "id: R:k": R; -1 for any other line. */
  static long sseId(Buffer line) {
    if (!startsWith(line, SSE_ID, 0)) {
      return -1;
    }
    return digits(line, SSE_ID.length);
  }

  /** Whether an SSE line is "event: service…". */
  static boolean sseServiceEvent(Buffer line) {
    return startsWith(line, SSE_SERVICE_EVENT, 0);
  }

  /** A WebSocket message {"type":"service…","revision":R,…}: R (the event's own revision comes first). */
  static long webSocketRevision(Buffer message) {
    if (!startsWith(message, WS_SERVICE_EVENT, 0)) {
      return -1;
    }
    for (int i = WS_SERVICE_EVENT.length; i + REVISION.length <= message.length(); i++) {
      if (startsWith(message, REVISION, i)) {
        return digits(message, i + REVISION.length);
      }
    }
    return -1;
  }

  /** A gRPC WatchEvent's payload (uncompressed): its revision if its type is service…. */
  static long grpcRevision(Buffer payload) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(payload.getBytes());
      String type = null;
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          return -1;
        } else if (tag == TYPE_TAG) {
          type = in.readStringRequireUtf8();
        } else if (tag == REVISION_TAG) {
          return type != null && type.startsWith("service") ? in.readInt64() : -1;
        } else {
          in.skipField(tag);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean startsWith(Buffer b, byte[] prefix, int at) {
    if (b.length() < at + prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b.getByte(at + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static long digits(Buffer b, int at) {
    long r = 0;
    for (int i = at; i < b.length(); i++) {
      byte c = b.getByte(i);
      if (c < '0' || c > '9') {
        break;
      }
      r = r * 10 + (c - '0');
    }
    return r;
  }
}
