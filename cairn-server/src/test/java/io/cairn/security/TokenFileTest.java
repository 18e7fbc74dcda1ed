package io.cairn.security;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenFileTest {

  @Test
  void aSecretIsKnownByTheHashOfItAndNamesItsToken() {
    TokenFile tokens = TokenFile.parse("# comment\n\nci:" + TokenFile.sha256Hex("s3cret") + "  # the CI job\n"
        + "admin:" + TokenFile.sha256Hex("other").toUpperCase() + "\n", "tokens");
    assertThat(tokens.size()).isEqualTo(2);
    assertThat(tokens.nameOf("s3cret")).isEqualTo("ci");
    assertThat(tokens.nameOf("other")).isEqualTo("admin");
    assertThat(tokens.nameOf("s3cret ")).isNull();
    assertThat(tokens.nameOf("")).isNull();
    assertThat(tokens.nameOf(null)).isNull();
  }

  @Test
  void theSecretItselfIsNotAcceptedInPlaceOfItsHash() {
    assertThatThrownBy(() -> TokenFile.parse("admin:s3cret\n", "tokens"))
        .hasMessageContaining("tokens line 1").hasMessageContaining("SHA256HEX");
  }

  @Test
  void aMalformedLineIsRefusedWithItsNumber() {
    String good = "a:" + TokenFile.sha256Hex("x") + "\n";
    assertThatThrownBy(() -> TokenFile.parse(good + "b " + TokenFile.sha256Hex("y") + "\n", "/etc/cairn/tokens"))
        .hasMessageContaining("/etc/cairn/tokens line 2");
    assertThatThrownBy(() -> TokenFile.parse(":" + TokenFile.sha256Hex("y"), "t")).hasMessageContaining("line 1");
  }

  @Test
  void aFirstFileHoldsTheHashOfTheGeneratedSecretAndNeverTheSecret() {
    String secret = TokenFile.newSecret();
    String file = TokenFile.firstFile("admin", secret);
    assertThat(secret).hasSizeGreaterThanOrEqualTo(40);
    assertThat(file).doesNotContain(secret);
    assertThat(TokenFile.parse(file, "first").nameOf(secret)).isEqualTo("admin");
    assertThat(TokenFile.newSecret()).isNotEqualTo(secret);
  }
}
