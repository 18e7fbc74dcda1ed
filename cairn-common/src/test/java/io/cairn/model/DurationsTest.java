package io.cairn.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {
  @Test
  void goDurationsAsConsulsClientsWriteThem() {
    assertThat(Durations.parseGo("120000ms")).isEqualTo(120_000);
    assertThat(Durations.parseGo("2s")).isEqualTo(2_000);
    assertThat(Durations.parseGo("1m30s")).isEqualTo(90_000);
    assertThat(Durations.parseGo("1.5h")).isEqualTo(5_400_000);
    assertThat(Durations.parseGo("1h2m3s4ms")).isEqualTo(3_723_004);
    assertThat(Durations.parseGo("2500us")).isEqualTo(2);
    assertThat(Durations.parseGo("0")).isZero();
    for (String bad : new String[] {"", "5", "1d", "-1s", "1s ", "s", "1m30", "forever"}) {
      assertThatThrownBy(() -> Durations.parseGo(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void cairnDurations() {
    assertThat(Durations.parse("500ms")).isEqualTo(500);
    assertThat(Durations.parse("5m")).isEqualTo(300_000);
    assertThat(Durations.format(90_000)).isEqualTo("90s");
  }
}
