package io.cairn.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Puts the {@code logging} section in force: Logback's console appender in text or JSON, the root level and each
 * listed logger's, and the node's id as the context property {@code node} (every JSON line carries it). Replaces
 * what {@link BootLogging} set up at class loading; called by the launcher once the configuration is read, before
 * Vert.x, Hazelcast or Ratis start. Nodes started inside another program (tests) leave that program's logging alone.
 */
public final class Logging {
  static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  private Logging() {
  }

  public static void apply(CairnConfig cfg) {
    // Vert.x picks SLF4J when it is on the classpath; said here so that a stray JUL properties file cannot change it.
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    context.putProperty(JsonLineEncoder.NODE, cfg.node().id());
    install(context, cfg.logging().format().equals("json") ? new JsonLineEncoder() : textEncoder(),
        cfg.logging().level(), cfg.logging().loggers());
  }

  /**
   * The command line ({@code cairn.jar cli}) prints only what it means to: its answers on standard output, its errors
   * as one line on standard error. The libraries under it (Vert.x, Netty, the client) stay silent.
   */
  public static void commandLine() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.reset();
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.OFF);
    }
  }

  /** One console appender with this encoder, the root level and the listed loggers' levels. */
  static void install(LoggerContext context, Encoder<ILoggingEvent> encoder, String rootLevel,
                      Map<String, String> loggers) {
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setName("STDOUT");
    console.setContext(context);
    console.setEncoder(encoder);
    console.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(rootLevel));
    root.addAppender(console);
    for (Map.Entry<String, String> e : loggers.entrySet()) {
      context.getLogger(e.getKey()).setLevel(Level.toLevel(e.getValue()));
    }
  }

  static Encoder<ILoggingEvent> textEncoder() {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setPattern(TEXT_PATTERN);
    return text;
  }
}
