package io.cairn.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLineEncoderTest {
  private static String encode(LoggingEvent event, LoggerContext context) {
    JsonLineEncoder encoder = new JsonLineEncoder();
    encoder.setContext(context);
    encoder.start();
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }

  private static LoggerContext context() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter());
    return context;
  }

  @Test
  void aLineIsOneObjectWithTimeLevelLoggerMessageNodeAndTheRequestId() {
    LoggerContext context = context();
    context.putProperty("node", "n7");
    Logger logger = context.getLogger("io.cairn.Example");
    MDC.put("requestId", "req-42");
    String line;
    try {
      line = encode(new LoggingEvent("x", logger, Level.WARN, "two\nlines and \"{}\"", null, new Object[] {"quotes"}),
          context);
    } finally {
      MDC.remove("requestId");
    }
    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
    JsonObject j = new JsonObject(line);
    assertThat(j.getString("time")).endsWith("Z");
    assertThat(j.getString("level")).isEqualTo("WARN");
    assertThat(j.getString("logger")).isEqualTo("io.cairn.Example");
    assertThat(j.getString("message")).isEqualTo("two\nlines and \"quotes\"");
    assertThat(j.getString("node")).isEqualTo("n7");
    assertThat(j.getString("requestId")).isEqualTo("req-42");
    assertThat(j.containsKey("exception")).isFalse();
  }

  @Test
  void anExceptionTravelsInTheSameLine() {
    LoggerContext context = context();
    Logger logger = context.getLogger("io.cairn.Example");
    String line = encode(new LoggingEvent("x", logger, Level.ERROR, "failed", new IllegalStateException("boom"), null),
        context);
    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    JsonObject j = new JsonObject(line);
    assertThat(j.getString("exception")).contains("IllegalStateException: boom").contains("\tat ");
    assertThat(j.containsKey("requestId")).isFalse();
  }
}
