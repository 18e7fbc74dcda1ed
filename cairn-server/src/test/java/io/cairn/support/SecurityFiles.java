package io.cairn.support;

import io.cairn.security.TokenFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files an operator writes for a secured node, made for tests: a tokens file and an ACL policy. */
public final class SecurityFiles {
  private SecurityFiles() {
  }

  /** The lines of a tokens file: {@code NAME:SHA256HEX} for each (secret, name) pair. */
  public static String tokenLines(String... secretAndName) {
    StringBuilder b = new StringBuilder("# test tokens\n");
    for (int i = 0; i < secretAndName.length; i += 2) {
      b.append(secretAndName[i + 1]).append(':').append(TokenFile.sha256Hex(secretAndName[i])).append('\n');
    }
    return b.toString();
  }

  /** A new tokens file holding each (secret, name) pair. */
  public static Path tokens(String... secretAndName) {
    return write("tokens", "", tokenLines(secretAndName));
  }

  /** A new jcasbin policy file of these lines. */
  public static Path policy(String... lines) {
    return write("policy", ".csv", String.join("\n", lines) + "\n");
  }

  private static Path write(String prefix, String suffix, String content) {
    try {
      Path file = Files.createTempFile(prefix, suffix);
      file.toFile().deleteOnExit();
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
