package io.cairn.config;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * {@code logging.format: json}: one JSON object per line, {@code time} (ISO-8601, UTC), {@code level},
 * {@code logger}, {@code thread}, {@code message}, {@code node} (the logger context's property), {@code requestId}
 * (from the MDC, when set) and {@code exception} (the stack trace, when there is one). Logback's own
 * {@code JsonEncoder} nests the node under {@code context.properties}, the request id under {@code mdc}, and writes
 * the time as epoch milliseconds; this is the flat shape log shippers index without a mapping.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
  public static final String NODE = "node";
  public static final String REQUEST_ID = "requestId";
  private static final byte[] NOTHING = new byte[0];

  @Override
  public byte[] headerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] footerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    JsonObject line = new JsonObject()
        .put("time", event.getInstant().toString())
        .put("level", event.getLevel().toString())
        .put("logger", event.getLoggerName())
        .put("thread", event.getThreadName())
        .put("message", event.getFormattedMessage())
        .put(NODE, getContext() == null ? null : getContext().getProperty(NODE));
    String requestId = event.getMDCPropertyMap().get(REQUEST_ID);
    if (requestId != null) {
      line.put(REQUEST_ID, requestId);
    }
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.put("exception", ThrowableProxyUtil.asString(thrown));
    }
    return (line.encode() + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
