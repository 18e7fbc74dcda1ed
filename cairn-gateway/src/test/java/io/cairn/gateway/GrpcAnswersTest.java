package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcAnswersTest {

  @Test
  void theGatewaysRefusalsBecomeTheGrpcStatusesAClientActsOn() {
    assertThat(GrpcAnswers.statusFor(404)).as("no route").isEqualTo(12); // UNIMPLEMENTED
    assertThat(GrpcAnswers.statusFor(503)).as("no instance, breaker").isEqualTo(14); // UNAVAILABLE
    assertThat(GrpcAnswers.statusFor(502)).as("bad gateway").isEqualTo(14);
    assertThat(GrpcAnswers.statusFor(504)).as("timeout").isEqualTo(4); // DEADLINE_EXCEEDED
    assertThat(GrpcAnswers.statusFor(401)).isEqualTo(16); // UNAUTHENTICATED
    assertThat(GrpcAnswers.statusFor(403)).isEqualTo(7); // PERMISSION_DENIED
    assertThat(GrpcAnswers.statusFor(429)).isEqualTo(8); // RESOURCE_EXHAUSTED
    assertThat(GrpcAnswers.statusFor(400)).isEqualTo(13); // INTERNAL
    assertThat(GrpcAnswers.statusFor(418)).isEqualTo(2); // UNKNOWN
  }

  @Test
  void aMessageIsPercentEncodedOverUtf8AsGrpcRequires() {
    assertThat(GrpcAnswers.encodeMessage("no route matches POST /a.B/C")).isEqualTo("no route matches POST /a.B/C");
    assertThat(GrpcAnswers.encodeMessage("100% über\nline")).isEqualTo("100%25 %C3%BCber%0Aline");
  }
}
