package io.cairn.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

@Command(name = "token", description = "Tokens for security.tokensFile.", subcommands = TokenCommand.Hash.class)
final class TokenCommand {

  @Command(name = "hash", description = {"A line for the tokens file: NAME:SHA256HEX of the secret.",
      "The secret is read from standard input (--stdin), or made here (printed on standard error, once: the file",
      "keeps only its hash)."})
  static final class Hash implements Callable<Integer> {
    /** As the node's tokens file takes them. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    @Parameters(index = "0", paramLabel = "NAME", description = "The caller's name, as ACL policies name it.")
    String name;

    @Option(names = "--stdin", description = "Read the secret from standard input (its first line).")
    boolean stdin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      if (!NAME.matcher(name).matches()) {
        throw new CliFailure(CliFailure.USAGE, "a token's name is 1-128 letters, digits and . _ @ -, starting with a "
            + "letter or digit");
      }
      String secret;
      if (stdin) {
        secret = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        if (secret.isEmpty()) {
          throw new CliFailure(CliFailure.USAGE, "--stdin: no secret on standard input");
        }
      } else {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        secret = HexFormat.of().formatHex(random);
        spec.commandLine().getErr().println("secret for " + name + " (give it to the caller; it is not kept): "
            + secret);
        spec.commandLine().getErr().flush();
      }
      spec.commandLine().getOut().println(name + ":" + sha256Hex(secret));
      spec.commandLine().getOut().flush();
      return 0;
    }

    static String sha256Hex(String secret) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(secret.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-256", e);
      }
    }
  }
}
