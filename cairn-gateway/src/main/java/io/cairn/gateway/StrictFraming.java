package io.cairn.gateway;

import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * What the gateway does about requests whose length could be read two ways (request smuggling), beyond what the
 * decoder refuses itself (two Content-Lengths):
 * <ul>
 *   <li>A request framed both by Content-Length and by chunked Transfer-Encoding: Netty's decoder drops the
 *   Content-Length and reads the body as chunked (RFC 9112 6.3 allows it), safe for the gateway itself; but whatever
 *   sits in front of it may have read the same bytes the other way. The decoder here marks such a request
 *   ({@link #AMBIGUOUS}) so that it is refused rather than guessed at, as the smuggling advisories recommend.</li>
 *   <li>The refusal ends the connection without a reset: the gateway stops writing, discards what the client still
 *   sends (the would-be second request among it) and closes a moment later. A close with unread bytes would send a
 *   TCP reset, which can destroy the 400 in the client's receive buffer before it reads it.</li>
 * </ul>
 * This reaches into Vert.x's connection (its Netty pipeline and request decoder, not public API): a Vert.x upgrade
 * that moves them makes {@link #install} a no-op, which the gateway's bad-input test catches.
 */
final class StrictFraming {
  private static final String DECODER = "httpDecoder";
  /** The mark the decoder puts on a request that came with both Content-Length and chunked Transfer-Encoding. */
  static final String AMBIGUOUS = "x-cairn-ambiguous-framing";
  /** How long a refused connection's further bytes are read and dropped before it closes. */
  private static final long LINGER_MILLIS = 2_000;

  private StrictFraming() {
  }

  /** On a new HTTP/1.x connection, before it has read a byte. */
  static void install(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof ConnectionBase)) {
      return;
    }
    ChannelPipeline pipeline = ((ConnectionBase) connection).channel().pipeline();
    if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
      pipeline.replace(DECODER, DECODER, new Decoder(options));
    }
  }

  /**
   * Ends a refused connection gently: no more output (the answer already written goes first), input read and dropped
   * until the client closes or {@link #LINGER_MILLIS} pass.
   */
  static void lingeringClose(Vertx vertx, HttpConnection connection) {
    if (connection instanceof ConnectionBase && ((ConnectionBase) connection).channel() instanceof DuplexChannel) {
      ((DuplexChannel) ((ConnectionBase) connection).channel()).shutdownOutput();
      vertx.setTimer(LINGER_MILLIS, t -> connection.close());
    } else {
      connection.close();
    }
  }

  private static final class Decoder extends VertxHttpRequestDecoder {
    Decoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.headers().set(AMBIGUOUS, "content-length and transfer-encoding");
    }
  }
}
