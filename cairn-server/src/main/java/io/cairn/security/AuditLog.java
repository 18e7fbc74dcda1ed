package io.cairn.security;


import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import io.cairn.config.SecuritySettings;
import io.cairn.model.ModelJson;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Sends the audit logger's lines to their own file (security.audit.file), one JSON object a line, appended, so that
 * they can be shipped and kept apart from the node's operational log. "-" leaves them in the node's log.
 */
public final class AuditLog {
  /** The audit log's logger: one JSON line per audited action (time, subject, action, object, result, remote, revision). */
  public static final String LOGGER = "audit";

  private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.")
      .withZone(ZoneOffset.UTC);

  /** The time of the last line, to the second, as text: every write is audited, and formatting a time is dear. */
  private static volatile Second second = new Second(Long.MIN_VALUE, "");

  private record Second(long epochSecond, String text) {
  }

  private AuditLog() {
  }

  /**
   * One audit line: {"time" (ISO-8601 UTC, milliseconds), "subject", "action", "object", "result", "remote",
   * "revision" (only when there is one, >= 0)}, written with a streaming generator (one per write on the hot path).
   */
  public static String line(long at, String subject, String action, String object, String result, String remote,
                            long revision) {
    byte[] json = ModelJson.bytes(g -> {
      g.writeStartObject();
      g.writeStringField("time", time(at));
      g.writeStringField("subject", subject);
      g.writeStringField("action", action);
      g.writeStringField("object", object);
      g.writeStringField("result", result);
      g.writeStringField("remote", remote);
      if (revision >= 0) {
        g.writeNumberField("revision", revision);
      }
      g.writeEndObject();
    });
    return new String(json, StandardCharsets.UTF_8);
  }

  static String time(long epochMillis) {
    long epochSecond = Math.floorDiv(epochMillis, 1000);
    Second s = second;
    if (s.epochSecond() != epochSecond) {
      s = new Second(epochSecond, SECOND.format(Instant.ofEpochSecond(epochSecond)));
      second = s;
    }
    int millis = (int) Math.floorMod(epochMillis, 1000);
    return s.text() + (char) ('0' + millis / 100) + (char) ('0' + millis / 10 % 10) + (char) ('0' + millis % 10) + 'Z';
  }

  public static void configure(SecuritySettings settings) {
    String file = settings.auditFile();
    if (file.equals("-") || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger audit = context.getLogger(LOGGER);
    String name = "audit:" + file;
    if (audit.getAppender(name) != null) {
      return; // a second node of the same JVM (tests) writing to the same file
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(name + ":file");
    appender.setFile(file);
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    // Written by a thread of its own, so that an event loop never waits on the disk; nothing is dropped (no
    // discarding threshold) and a full queue makes writers wait rather than lose lines.
    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName(name);
    async.setQueueSize(8192);
    async.setDiscardingThreshold(0);
    async.setNeverBlock(false);
    async.addAppender(appender);
    async.start();
    audit.addAppender(async);
    // Lines still queued when the node exits are written first.
    Runtime.getRuntime().addShutdownHook(new Thread(async::stop, "cairn-audit-flush"));
    audit.setAdditive(false);
    audit.setLevel(ch.qos.logback.classic.Level.INFO);
  }
}
