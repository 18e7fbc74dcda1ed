package io.cairn.support;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A grpc-java server for the gRPC proxy tests, without protoc: methods of strings (UTF-8) on {@code cairn.test.Echo}
 * (and {@code Who} also on {@code cairn.test.Routed} and {@code cairn.test.Empty}), each answer naming the server.
 * Request metadata {@code x-note} and {@code x-note-bin} come back as response headers. Runs in the test JVM
 * ({@link #start}) or as a process of its own ({@link #main}: port and id; prints {@code READY port}), which a test
 * can kill.
 */
public final class GrpcEchoServer {
  public static final String ECHO = "cairn.test.Echo";
  public static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  /** "who": answers "ID:who". */
  public static final MethodDescriptor<String, String> WHO = method(ECHO, "Who", MethodDescriptor.MethodType.UNARY);
  /** "N": answers N messages "ID:i". */
  public static final MethodDescriptor<String, String> COUNT = method(ECHO, "Count",
      MethodDescriptor.MethodType.SERVER_STREAMING);
  /** A message "ID:i" every 50 ms until cancelled. */
  public static final MethodDescriptor<String, String> TICK = method(ECHO, "Tick",
      MethodDescriptor.MethodType.SERVER_STREAMING);
  /** Answers "ID:COUNT:BYTES" for the messages it got. */
  public static final MethodDescriptor<String, String> JOIN = method(ECHO, "Join",
      MethodDescriptor.MethodType.CLIENT_STREAMING);
  /** Answers each message m with "pong:m" at once. */
  public static final MethodDescriptor<String, String> CHAT = method(ECHO, "Chat",
      MethodDescriptor.MethodType.BIDI_STREAMING);
  /** Fails FAILED_PRECONDITION with an ErrorInfo detail and trailing metadata (see {@link #FAILURE_MESSAGE}). */
  public static final MethodDescriptor<String, String> FAIL = method(ECHO, "Fail", MethodDescriptor.MethodType.UNARY);
  /** Never answers; counts in {@link #cancelledSlowCalls} the calls cancelled while it waited. */
  public static final MethodDescriptor<String, String> SLOW = method(ECHO, "Slow", MethodDescriptor.MethodType.UNARY);
  public static final String FAILURE_MESSAGE = "quota spent: 100% üsed\nby caller";
  public static final Metadata.Key<byte[]> DETAIL_BIN = Metadata.Key.of("x-detail-bin",
      Metadata.BINARY_BYTE_MARSHALLER);
  public static final Metadata.Key<String> NOTE = Metadata.Key.of("x-note", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<byte[]> NOTE_BIN = Metadata.Key.of("x-note-bin", Metadata.BINARY_BYTE_MARSHALLER);
  public static final byte[] DETAIL_BYTES = {0, 1, (byte) 0xfe, (byte) 0xff, 10, 13};

  private static final AtomicInteger CANCELLED_SLOW = new AtomicInteger();
  private static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "grpc-echo-ticks");
    t.setDaemon(true);
    return t;
  });

  private GrpcEchoServer() {
  }

  public static MethodDescriptor<String, String> method(String service, String name,
                                                        MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
  }

  /** Calls of {@link #SLOW} cancelled so far in this JVM. */
  public static int cancelledSlowCalls() {
    return CANCELLED_SLOW.get();
  }

  /** Starts a server on 127.0.0.1:port (0: any) in this JVM. */
  public static Server start(int port, String id) throws IOException {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    for (ServerServiceDefinition d : services(id)) {
      b.addService(ServerInterceptors.intercept(d, new NotesBack()));
    }
    return b.build().start();
  }

  public static void main(String[] args) throws Exception {
    Server server = start(Integer.parseInt(args[0]), args[1]);
    System.out.println("READY " + server.getPort());
    server.awaitTermination();
  }

  private static List<ServerServiceDefinition> services(String id) {
    List<ServerServiceDefinition> all = new ArrayList<>();
    all.add(ServerServiceDefinition.builder(ECHO)
        .addMethod(WHO, ServerCalls.asyncUnaryCall((who, out) -> {
          out.onNext(id + ":" + who);
          out.onCompleted();
        }))
        .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((n, out) -> {
          for (int i = 0; i < Integer.parseInt(n); i++) {
            out.onNext(id + ":" + i);
          }
          out.onCompleted();
        }))
        .addMethod(TICK, ServerCalls.asyncServerStreamingCall((ignored, out) -> tick(id, out, 0)))
        .addMethod(JOIN, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<String>() {
          private int count;
          private long bytes;

          @Override
          public void onNext(String message) {
            count++;
            bytes += message.getBytes(StandardCharsets.UTF_8).length;
          }

          @Override
          public void onError(Throwable t) {
          }

          @Override
          public void onCompleted() {
            out.onNext(id + ":" + count + ":" + bytes);
            out.onCompleted();
          }
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<String>() {
          @Override
          public void onNext(String message) {
            out.onNext("pong:" + message);
          }

          @Override
          public void onError(Throwable t) {
          }

          @Override
          public void onCompleted() {
            out.onCompleted();
          }
        }))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((ignored, out) -> {
          Metadata trailers = new Metadata();
          trailers.put(DETAIL_BIN, DETAIL_BYTES);
          trailers.put(NOTE, "kept as sent");
          out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
              .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage(FAILURE_MESSAGE)
              .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("QUOTA").setDomain("cairn.test")
                  .putMetadata("served-by", id).build()))
              .build(), trailers));
        }))
        .addMethod(SLOW, ServerCalls.asyncUnaryCall((ignored, out) ->
            Context.current().addListener(ctx -> CANCELLED_SLOW.incrementAndGet(), Runnable::run)))
        .build());
    for (String other : List.of("cairn.test.Routed", "cairn.test.Empty")) {
      all.add(ServerServiceDefinition.builder(other)
          .addMethod(method(other, "Who", MethodDescriptor.MethodType.UNARY), ServerCalls.asyncUnaryCall((who, out) -> {
            out.onNext(id + ":" + who);
            out.onCompleted();
          }))
          .build());
    }
    return all;
  }

  private static void tick(String id, StreamObserver<String> out, int i) {
    ServerCallStreamObserver<String> call = (ServerCallStreamObserver<String>) out;
    if (call.isCancelled()) {
      return;
    }
    call.onNext(id + ":" + i);
    TICKS.schedule(() -> tick(id, out, i + 1), 50, TimeUnit.MILLISECONDS);
  }

  /** Sends the caller's {@code x-note} and {@code x-note-bin} back in the response's headers. */
  private static final class NotesBack implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
      String note = headers.get(NOTE);
      byte[] noteBin = headers.get(NOTE_BIN);
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void sendHeaders(Metadata responseHeaders) {
          if (note != null) {
            responseHeaders.put(NOTE, note);
          }
          if (noteBin != null) {
            responseHeaders.put(NOTE_BIN, noteBin);
          }
          super.sendHeaders(responseHeaders);
        }
      }, headers);
    }
  }
}
