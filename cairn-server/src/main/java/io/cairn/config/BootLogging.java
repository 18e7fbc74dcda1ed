package io.cairn.config;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Logback's set-up from the first log line until the node has read its configuration ({@link Logging} then applies
 * the logging section of conf/cairn.yaml, whose defaults these are): text lines on standard output, Cairn at info,
 * the libraries at warn. Found by Logback through META-INF/services. Written in code rather than as logback.xml:
 * reading the XML took Logback's Joran and the JDK's SAX parser, some 350 classes, at every start.
 *
 * <p>A logback.configurationFile or a logback-test.xml on the class path (the tests') is left to Logback's own
 * configurators.
 */
public final class BootLogging extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || BootLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    Map<String, String> loggers = new LinkedHashMap<>();
    loggers.put("com.hazelcast", "warn");
    loggers.put("io.netty", "warn");
    loggers.put("io.vertx", "warn");
    // Cairn does not use Hazelcast's CP subsystem; its "UNSAFE mode" notice would only mislead.
    loggers.put("com.hazelcast.cp.CPSubsystem", "error");
    // Ratis logs every setting and every step at info; Cairn logs the Raft events an operator acts on itself.
    loggers.put("org.apache.ratis", "warn");
    // Vert.x registers some event-bus gauges once per verticle instance; the duplicates are harmless.
    loggers.put("io.micrometer.core.instrument.MeterRegistry", "error");
    Logging.install(context, Logging.textEncoder(), "info", loggers);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
