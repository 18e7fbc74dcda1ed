package io.cairn.security;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AuditLogTest {

  @Test
  void aLineIsOneJsonObjectWithTheTimeInUtcToTheMillisecond() {
    long at = Instant.parse("2026-12-05T19:53:34.007Z").toEpochMilli();

    JsonObject line = new JsonObject(AuditLog.line(at, "ops \"team\"", "register", "service:users", "ok",
        "127.0.0.1:5000", 42));

    assertThat(line.getString("time")).isEqualTo("2026-12-05T19:53:34.007Z");
    assertThat(line.getString("subject")).isEqualTo("ops \"team\"");
    assertThat(line.getString("object")).isEqualTo("service:users");
    assertThat(line.getLong("revision")).isEqualTo(42);
  }

  @Test
  void theTimeFollowsTheClockAcrossSecondsAndBackwards() {
    long at = Instant.parse("2026-12-31T23:59:59.999Z").toEpochMilli();

    assertThat(AuditLog.time(at)).isEqualTo("2026-12-31T23:59:59.999Z");
    assertThat(AuditLog.time(at + 1)).isEqualTo("2027-01-01T00:00:00.000Z");
    assertThat(AuditLog.time(at - 999)).isEqualTo("2026-12-31T23:59:59.000Z");
    assertThat(AuditLog.time(0)).isEqualTo("1970-01-01T00:00:00.000Z");
  }

  @Test
  void aLineWithoutARevisionHasNone() {
    JsonObject line = new JsonObject(AuditLog.line(0, "anonymous", "deregister", "service:users", "not_found",
        "127.0.0.1:5000", -1));

    assertThat(line.containsKey("revision")).isFalse();
    assertThat(line.getString("result")).isEqualTo("not_found");
  }
}
