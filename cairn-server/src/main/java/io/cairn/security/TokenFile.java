package io.cairn.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The tokens a node accepts, as read from {@code security.tokensFile}: one a line, {@code NAME:SHA256HEX}, where
 * SHA256HEX is the hex SHA-256 of the secret a client sends; {@code #} starts a comment. The secret itself is never
 * stored. A presented secret is hashed once (SHA-256, about a microsecond, unlike bcrypt's tens of milliseconds that
 * etcd's users paid on every request) and compared with every entry in constant time.
 */
public final class TokenFile {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

  private record Entry(String name, byte[] hash) {
  }

  private final List<Entry> entries;

  private TokenFile(List<Entry> entries) {
    this.entries = entries;
  }

  /** Parses a tokens file; a malformed line is refused with its number, so that a typo never locks callers out silently. */
  public static TokenFile parse(String text, String source) {
    List<Entry> entries = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      int colon = line.lastIndexOf(':');
      String name = colon < 0 ? "" : line.substring(0, colon).strip();
      String hex = colon < 0 ? "" : line.substring(colon + 1).strip();
      if (!NAME.matcher(name).matches() || !HEX.matcher(hex).matches()) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": expected NAME:SHA256HEX (the hex SHA-256 "
            + "of the secret, 64 hex digits; the name letters, digits, . _ @ -)");
      }
      entries.add(new Entry(name, HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT))));
    }
    return new TokenFile(List.copyOf(entries));
  }

  /** The name of the token whose secret this is, or null. Looks at every entry, whatever matches, in constant time each. */
  public String nameOf(String secret) {
    if (secret == null || secret.isEmpty()) {
      return null;
    }
    byte[] presented = sha256(secret);
    String found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.hash, presented) && found == null) {
        found = e.name;
      }
    }
    return found;
  }

  public int size() {
    return entries.size();
  }

  /** One digest per thread: looking SHA-256 up among the security providers cost as much as hashing a token. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  });

  public static byte[] sha256(String secret) {
    return SHA256.get().digest(secret.getBytes(StandardCharsets.UTF_8));
  }

  public static String sha256Hex(String secret) {
    return HexFormat.of().formatHex(sha256(secret));
  }

  /** A new secret: 32 random bytes, URL-safe base64 (43 characters). */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The content of a first tokens file holding one token, with how to add more. */
  public static String firstFile(String name, String secret) {
    return "# Cairn tokens: one a line, NAME:SHA256HEX, the hex SHA-256 of the secret a client sends as\n"
        + "# \"Authorization: Bearer SECRET\". Add one with: printf %s \"$SECRET\" | sha256sum\n"
        + "# This file is re-read when it changes; during a rotation keep the old line until clients use the new one.\n"
        + name + ":" + sha256Hex(secret) + "\n";
  }
}
