package io.cairn.cli;

import io.cairn.log.v1.LogInstance;
import io.cairn.log.v1.SnapshotHeader;
import io.cairn.log.v1.SnapshotRecord;
import io.cairn.wire.SnapshotFile;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** What the command line does without a cluster: reading backups, and refusing bad usage with one line. */
class OfflineCommandsTest {
  @TempDir
  Path dir;

  @Test
  void snapshotInfoCountsWhatAFileHoldsAndRefusesACutOne() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SnapshotFile.write(bytes, SnapshotHeader.newBuilder().setRevision(42).setTerm(3).setLeader("n1").build(),
        records -> {
          for (int i = 0; i < 500; i++) {
            records.write(SnapshotRecord.newBuilder().setService(LogInstance.newBuilder().setId("web-" + i)
                .setName(i % 2 == 0 ? "web" : "api").setAddress("10.0.0." + (i % 250)).setPort(80)).build());
          }
        });
    Path file = Files.write(dir.resolve("backup.snapshot"), bytes.toByteArray());

    Run info = run("snapshot", "info", file.toString(), "-o", "json");
    assertThat(info.exit).as(info.err).isZero();
    JsonObject json = new JsonObject(info.out);
    assertThat(json.getLong("revision")).isEqualTo(42);
    assertThat(json.getLong("term")).isEqualTo(3);
    assertThat(json.getLong("instances")).isEqualTo(500);
    assertThat(json.getLong("services")).isEqualTo(2);

    Path cut = Files.write(dir.resolve("cut.snapshot"), Arrays.copyOf(bytes.toByteArray(), bytes.size() - 40));
    Run refused = run("snapshot", "info", cut.toString());
    assertThat(refused.exit).isEqualTo(1);
    assertThat(refused.err).startsWith("cairn: ").contains("cut short");
    assertThat(run("snapshot", "info", dir.resolve("none").toString()).exit).isEqualTo(2);
  }

  @Test
  void badUsageIsExitCodeTwoAndOneLine() {
    for (String[] args : new String[][] {{"nosuch"}, {"register", "--name", "web"}, {"get"},
        {"services", "--output", "xml"}, {"status", "--addr", "no-port"}, {"status", "--addr", "h:1", "--cert", "c.pem",
        "--key", "k.pem"}}) {
      Run r = run(args);
      assertThat(r.exit).as(String.join(" ", args) + ": " + r.err).isEqualTo(CliFailure.USAGE);
      assertThat(r.err.strip()).startsWith("cairn: ").doesNotContain("\n");
      assertThat(r.out).isEmpty();
    }
  }

  @Test
  void aRegistrationIsJudgedBeforeAnythingIsSent() throws Exception {
    Path file = Files.writeString(dir.resolve("bad.json"), "{\"name\": \"Web!\", \"address\": \"10.0.0.1\", \"port\": 80}");
    // Nothing listens on port 1: a registration that got that far would fail unreachable (3), not refused (1).
    Run r = run("register", "-f", file.toString(), "--addr", "127.0.0.1:1");
    assertThat(r.exit).isEqualTo(1);
    assertThat(r.err).contains("invalid_name");
  }

  private record Run(int exit, String out, String err) {
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CairnCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }
}
