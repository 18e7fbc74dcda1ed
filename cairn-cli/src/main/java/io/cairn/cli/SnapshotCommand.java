package io.cairn.cli;

import io.cairn.log.v1.SnapshotHeader;
import io.cairn.wire.SnapshotFile;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "snapshot", description = "Backups of the registry: the file form of a node's Raft snapshots.",
    subcommands = {SnapshotCommand.Save.class, SnapshotCommand.Info.class})
final class SnapshotCommand {

  @Command(name = "save", description = {"Saves the registry to FILE, whole or not at all.",
      "As the answering node holds it (GET /v1/snapshot; needs admin on cluster)."})
  static final class Save implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      long revision;
      try (Cluster cluster = connection.open()) {
        revision = cluster.download("/v1/snapshot", file);
      }
      Summary summary = Summary.of(file);
      spec.commandLine().getOut().printf("saved revision %d (%d instances of %d services, %d nodes, %d routes; %d "
          + "bytes) to %s%n", revision, summary.instances, summary.names.size(), summary.nodes, summary.routes,
          summary.bytes, file);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "info", description = "What a snapshot file holds; exit code 1 when it is not a whole snapshot.")
  static final class Info implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Mixin
    Output output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      Summary s = Summary.of(file);
      JsonObject json = new JsonObject().put("file", file.toString()).put("bytes", s.bytes)
          .put("revision", s.header.getRevision()).put("term", s.header.getTerm())
          .put("leader", s.header.hasLeader() ? s.header.getLeader() : null)
          .put("instances", s.instances).put("services", s.names.size()).put("nodes", s.nodes)
          .put("routes", s.routes);
      Output.Table table = new Output.Table("FIELD", "VALUE")
          .row("revision", s.header.getRevision())
          .row("term", s.header.getTerm())
          .row("leader", s.header.hasLeader() ? s.header.getLeader() : "none")
          .row("leader since", s.header.getLeaderSince() > 0 ? Instant.ofEpochMilli(s.header.getLeaderSince()) : null)
          .row("instances", s.instances)
          .row("services", s.names.size())
          .row("nodes", s.nodes)
          .row("routes", s.routes)
          .row("bytes", s.bytes);
      output.print(spec.commandLine().getOut(), json, table);
      return 0;
    }
  }

  /** A snapshot file read to its end (which checks gzip's CRC too), counted. */
  private static final class Summary {
    SnapshotHeader header;
    long bytes;
    long instances;
    long nodes;
    long routes;
    long unknown;
    final Set<String> names = new HashSet<>();

    static Summary of(Path file) {
      Summary s = new Summary();
      try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
        s.bytes = Files.size(file);
        s.header = SnapshotFile.read(in, record -> {
          switch (record.getItemCase()) {
            case SERVICE -> {
              s.instances++;
              s.names.add(record.getService().getName());
            }
            case NODE -> s.nodes++;
            case ROUTE_JSON -> s.routes++;
            default -> s.unknown++;
          }
        });
      } catch (NoSuchFileException e) {
        throw new CliFailure(CliFailure.USAGE, "no such file: " + file);
      } catch (IOException e) {
        throw CliFailure.refused(file + ": " + e.getMessage());
      }
      if (s.unknown > 0) {
        throw CliFailure.refused(file + ": " + s.unknown + " records of no known kind (a newer Cairn's file?)");
      }
      return s;
    }
  }
}
