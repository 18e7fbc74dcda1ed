package io.cairn.security;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import io.cairn.config.SecuritySettings;
import org.slf4j.LoggerFactory;

/**
 * Sends the audit logger's lines to their own file (security.audit.file), one JSON object a line, appended, so that
 * they can be shipped and kept apart from the node's operational log. "-" leaves them in the node's log.
 */
public final class AuditLog {
  /** The audit log's logger: one JSON line per audited action (time, subject, action, object, result, remote, revision). */
  public static final String LOGGER = "audit";

  private AuditLog() {
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
