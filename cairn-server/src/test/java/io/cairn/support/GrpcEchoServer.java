package io.cairn.support;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A grpc-java server for the gRPC proxy tests, without protoc: methods of strings (UTF-8) on {@code cairn.test.Echo}
 * (and {@code Who} also on {@code cairn.test.Routed} and {@code cairn.test.Empty}), each answer naming the server.
 * Request metadata {@code x-note} and {@code x-note-bin} come back as response headers. The flaky methods fail on
 * demand, keyed by the call's {@code x-call-id} across every server of the JVM (so that a test knows which try
 * failed whatever instance the proxy picked first), and count the calls each id made ({@link #calls}). Runs in the test JVM
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
  /**
   * The first call of an {@code x-call-id} fails trailers-only with the status {@code x-fail-with} names (default
   * UNAVAILABLE); later calls answer "ID:who".
   */
  public static final MethodDescriptor<String, String> FLAKY = method(ECHO, "Flaky",
      MethodDescriptor.MethodType.UNARY);
  /** Sends one message "ID:0", then fails UNAVAILABLE, every time. */
  public static final MethodDescriptor<String, String> BREAKS = method(ECHO, "Breaks",
      MethodDescriptor.MethodType.SERVER_STREAMING);
  /** As {@link #JOIN}, but the first call of an {@code x-call-id} fails UNAVAILABLE once the caller half-closed. */
  public static final MethodDescriptor<String, String> FLAKY_JOIN = method(ECHO, "FlakyJoin",
      MethodDescriptor.MethodType.CLIENT_STREAMING);
  /** Answers the names of the request's metadata, sorted, joined by ','. */
  public static final MethodDescriptor<String, String> KEYS = method(ECHO, "Keys", MethodDescriptor.MethodType.UNARY);
  public static final Metadata.Key<String> CALL_ID = Metadata.Key.of("x-call-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> FAIL_WITH = Metadata.Key.of("x-fail-with",
      Metadata.ASCII_STRING_MARSHALLER);
  public static final String FAILURE_MESSAGE = "quota spent: 100% üsed\nby caller";
  public static final Metadata.Key<byte[]> DETAIL_BIN = Metadata.Key.of("x-detail-bin",
      Metadata.BINARY_BYTE_MARSHALLER);
  public static final Metadata.Key<String> NOTE = Metadata.Key.of("x-note", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<byte[]> NOTE_BIN = Metadata.Key.of("x-note-bin", Metadata.BINARY_BYTE_MARSHALLER);
  public static final byte[] DETAIL_BYTES = {0, 1, (byte) 0xfe, (byte) 0xff, 10, 13};

  private static final AtomicInteger CANCELLED_SLOW = new AtomicInteger();
  private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
  private static final Context.Key<Metadata> HEADERS = Context.key("request-headers");
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

  /** Calls of a flaky method (or {@link #KEYS}) made with {@code x-call-id: id} so far, on any server of this JVM. */
  public static int calls(String id) {
    AtomicInteger n = CALLS.get(id);
    return n == null ? 0 : n.get();
  }

  /** Starts a server on 127.0.0.1:port (0: any) in this JVM. */
  public static Server start(int port, String id) throws IOException {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    for (ServerServiceDefinition d : services(id)) {
      b.addService(ServerInterceptors.intercept(d, new NotesBack(), new HeadersInContext()));
    }
    return b.build().start();
  }

  public static void main(String[] args) throws Exception {
    Server server = start(Integer.parseInt(args[0]), args[1]);
    System.out.println("READY " + server.getPort());
    server.awaitTermination();
  }

  /** An echo server in a JVM of its own (this test's class path), so that it can be killed for real. */
  public static Process startProcess(int port, String id) throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), GrpcEchoServer.class.getName(), Integer.toString(port), id)
        .redirectErrorStream(true).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.equals("READY " + port)) {
            return;
          }
        }
      } catch (Exception ignored) {
        // the process is gone: the wait below fails
      }
      throw new IllegalStateException("the echo server " + id + " exited before it was ready");
    });
    ready.get(120, TimeUnit.SECONDS);
    // Its output must keep draining, or a full pipe would stall it.
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // dropped
        }
      } catch (Exception ignored) {
        // the process is gone
      }
    }, "echo-" + id + "-output");
    drain.setDaemon(true);
    drain.start();
    return p;
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
        .addMethod(JOIN, ServerCalls.asyncClientStreamingCall(out -> new Joined(id, out, false)))
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
        .addMethod(FLAKY, ServerCalls.asyncUnaryCall((who, out) -> {
          if (countCall() == 1) {
            String code = HEADERS.get().get(FAIL_WITH);
            out.onError(Status.fromCode(code == null ? Status.Code.UNAVAILABLE : Status.Code.valueOf(code))
                .withDescription(id + " fails the first call").asRuntimeException());
            return;
          }
          out.onNext(id + ":" + who);
          out.onCompleted();
        }))
        .addMethod(BREAKS, ServerCalls.asyncServerStreamingCall((ignored, out) -> {
          countCall();
          out.onNext(id + ":0");
          out.onError(Status.UNAVAILABLE.withDescription(id + " broke after one message").asRuntimeException());
        }))
        .addMethod(FLAKY_JOIN, ServerCalls.asyncClientStreamingCall(out -> new Joined(id, out, countCall() == 1)))
        .addMethod(KEYS, ServerCalls.asyncUnaryCall((ignored, out) -> {
          countCall();
          out.onNext(String.join(",", new TreeSet<>(HEADERS.get().keys())));
          out.onCompleted();
        }))
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

  /** A client stream counted: its answer "ID:COUNT:BYTES" once the caller half-closes, or UNAVAILABLE then. */
  private static final class Joined implements StreamObserver<String> {
    private final String id;
    private final StreamObserver<String> out;
    private final boolean fail;
    private int count;
    private long bytes;

    Joined(String id, StreamObserver<String> out, boolean fail) {
      this.id = id;
      this.out = out;
      this.fail = fail;
    }

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
      if (fail) {
        out.onError(Status.UNAVAILABLE.withDescription(id + " fails the first call").asRuntimeException());
        return;
      }
      out.onNext(id + ":" + count + ":" + bytes);
      out.onCompleted();
    }
  }

  /** Counts a call of the current call's {@code x-call-id} (none: not counted, 0); the count including this one. */
  private static int countCall() {
    String callId = HEADERS.get().get(CALL_ID);
    return callId == null ? 0 : CALLS.computeIfAbsent(callId, k -> new AtomicInteger()).incrementAndGet();
  }

  /** Puts the request's metadata in the call's context, where the methods read it. */
  private static final class HeadersInContext implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
      return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), call, headers, next);
    }
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
