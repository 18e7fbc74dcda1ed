package io.cairn.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcTimeoutTest {

  @Test
  void everyUnitOfTheHeaderIsReadAsMilliseconds() {
    assertThat(GrpcTimeout.millis("2H")).isEqualTo(7_200_000);
    assertThat(GrpcTimeout.millis("3M")).isEqualTo(180_000);
    assertThat(GrpcTimeout.millis("5S")).isEqualTo(5_000);
    assertThat(GrpcTimeout.millis("250m")).isEqualTo(250);
    assertThat(GrpcTimeout.millis("99999999m")).isEqualTo(99_999_999);
  }

  @Test
  void finerUnitsRoundUpSoThatAShortDeadlineIsNeverZero() {
    assertThat(GrpcTimeout.millis("1500u")).isEqualTo(2);
    assertThat(GrpcTimeout.millis("1n")).isEqualTo(1);
    assertThat(GrpcTimeout.millis("49999999n")).isEqualTo(50);
  }

  @Test
  void aMissingOrMalformedHeaderMeansNoDeadline() {
    assertThat(GrpcTimeout.millis(null)).isEqualTo(-1);
    assertThat(GrpcTimeout.millis("")).isEqualTo(-1);
    assertThat(GrpcTimeout.millis("S")).isEqualTo(-1);
    assertThat(GrpcTimeout.millis("123456789S")).as("more than 8 digits").isEqualTo(-1);
    assertThat(GrpcTimeout.millis("10s")).as("no such unit").isEqualTo(-1);
    assertThat(GrpcTimeout.millis("-5S")).isEqualTo(-1);
  }
}
