package io.cairn.gateway;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class PathsTest {
  @ParameterizedTest
  @CsvSource({
      "/a/../b, /b",
      "/a/%2e%2e/b, /b",
      "/a/b/%2E%2e/../c, /c",
      "/a/./b, /a/b",
      "/a//b, /a//b",
      "/a//../b, /a/b",
      "/%41, /%41",
      "/, /",
      "/a/b/.., /a/",
      "/a/., /a/",
      "/., /",
      "/a/.., /",
      "/a/.b/..c/c.., /a/.b/..c/c..",
      "/file%2ejson, /file.json",
      "/a/%252e%252e/b, /a/%252e%252e/b",
      "/a%20b/%zz, /a%20b/%zz",
  })
  void normalizes(String raw, String normalized) {
    assertThat(Paths.normalize(raw)).isEqualTo(normalized);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "*", "http://x/y", "/../x", "/%2e%2e/x", "/a/%2E%2e/../b", "/a/../../b",
      "/a%2fb", "/a%2Fb", "/a%5cb", "/a%5Cb", "/a%00b", "/a\\b", "/a\tb", "/a\nb", "/a\u007fb", "/a/..;/b",
      "/a/.;x/b"})
  void refuses(String raw) {
    assertThat(Paths.normalize(raw)).as(raw).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/users/42", "/a.b/c.d", "/"})
  void aCleanPathIsTheSameString(String raw) {
    assertThat(Paths.normalize(raw)).isSameAs(raw);
  }
}
