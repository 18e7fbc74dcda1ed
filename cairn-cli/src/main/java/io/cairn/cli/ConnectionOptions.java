package io.cairn.cli;

import io.cairn.model.Durations;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the cluster is and how to be let in, shared by every command that talks to it. Each option falls back on a
 * {@code CAIRN_*} variable, so that a shell sets them once.
 */
final class ConnectionOptions {
  @Option(names = {"-a", "--addr"}, split = ",", paramLabel = "HOST:PORT",
      defaultValue = "${env:CAIRN_ADDR:-127.0.0.1:8080}",
      description = "Nodes to try in turn, comma-separated: their HTTP port, which also serves gRPC "
          + "(env CAIRN_ADDR; default: ${DEFAULT-VALUE}).")
  List<String> addresses = new ArrayList<>();

  @Option(names = "--token", paramLabel = "SECRET", defaultValue = "${env:CAIRN_TOKEN}",
      description = "The secret of a Cairn token (env CAIRN_TOKEN).")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "${env:CAIRN_TOKEN_FILE}",
      description = "A file holding the token's secret (env CAIRN_TOKEN_FILE).")
  Path tokenFile;

  @Option(names = "--ca", paramLabel = "PEM", defaultValue = "${env:CAIRN_CA}",
      description = "Speak TLS, trusting the nodes' CA certificate in this PEM file (env CAIRN_CA).")
  String caFile;

  @Option(names = "--cert", paramLabel = "PEM", defaultValue = "${env:CAIRN_CERT}",
      description = "Under mutual TLS: this client's certificate (env CAIRN_CERT).")
  String certFile;

  @Option(names = "--key", paramLabel = "PEM", defaultValue = "${env:CAIRN_KEY}",
      description = "Under mutual TLS: this client's private key (env CAIRN_KEY).")
  String keyFile;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "How long one node may take to answer before the next is tried (default: ${DEFAULT-VALUE}).")
  String timeout;

  /** Opens the connection: nothing is sent before a command asks. */
  Cluster open() {
    if (certFile != null && caFile == null) {
      throw new CliFailure(CliFailure.USAGE, "--cert needs --ca: a client certificate is only sent over TLS");
    }
    if ((certFile == null) != (keyFile == null)) {
      throw new CliFailure(CliFailure.USAGE, "--cert and --key go together");
    }
    List<String> nodes = addresses.stream().map(String::trim).filter(a -> !a.isEmpty()).toList();
    if (nodes.isEmpty()) {
      throw new CliFailure(CliFailure.USAGE, "name at least one node with --addr HOST:PORT (or CAIRN_ADDR)");
    }
    for (String node : nodes) {
      int colon = node.lastIndexOf(':');
      int port = colon > 0 && node.substring(colon + 1).matches("[0-9]{1,5}")
          ? Integer.parseInt(node.substring(colon + 1)) : -1;
      if (port < 1 || port > 65535) {
        throw new CliFailure(CliFailure.USAGE, "--addr: expected HOST:PORT, got '" + node + "'");
      }
    }
    long timeoutMillis;
    try {
      timeoutMillis = Durations.parse(timeout);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(CliFailure.USAGE, "--timeout: " + e.getMessage());
    }
    return new Cluster(nodes, secret(), caFile, certFile, keyFile, timeoutMillis);
  }

  private String secret() {
    if (token != null && !token.isBlank()) {
      return token.trim();
    }
    if (tokenFile == null) {
      return null;
    }
    try {
      return Files.readString(tokenFile).trim();
    } catch (IOException e) {
      throw new CliFailure(CliFailure.USAGE, "--token-file: cannot read " + tokenFile + ": " + e.getMessage());
    }
  }
}
