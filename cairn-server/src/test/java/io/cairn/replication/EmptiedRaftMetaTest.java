package io.cairn.replication;

import org.apache.ratis.server.storage.RaftStorageMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A raft-meta emptied by a full disk is written again, in a form Ratis reads; any other is left alone. */
class EmptiedRaftMetaTest {
  @TempDir
  Path current;

  @Test
  void anEmptiedFileGetsTheTermBackWithThisNodesVoteAndRatisReadsIt() throws Exception {
    Path meta = current.resolve("raft-meta");
    Files.writeString(meta, "");

    assertThat(EmptiedRaftMeta.repair(current, 5, "p3")).isTrue();

    RaftStorageMetadata read = ratisLoad(meta);
    assertThat(read.getTerm()).isEqualTo(5);
    assertThat(read.getVotedFor().toString()).isEqualTo("p3");
    try (var files = Files.list(current)) {
      assertThat(files).containsExactly(meta);
    }
  }

  @Test
  void aFileWithATermIsLeftAlone() throws Exception {
    Path meta = current.resolve("raft-meta");
    String written = "#\n#Sun Dec 06 03:55:36 UTC 2026\nvotedFor=p2\nterm=7\n";
    Files.writeString(meta, written);

    assertThat(EmptiedRaftMeta.repair(current, 5, "p3")).isFalse();

    assertThat(Files.readString(meta)).isEqualTo(written);
  }

  @Test
  void noFileIsLeftForRatisToCreate() throws Exception {
    assertThat(EmptiedRaftMeta.repair(current, 5, "p3")).isFalse();
    assertThat(current.resolve("raft-meta")).doesNotExist();
  }

  /** Ratis' own reader (package-private in ratis-server), so that the test checks what a restarted division reads. */
  private static RaftStorageMetadata ratisLoad(Path meta) throws Exception {
    Class<?> file = Class.forName("org.apache.ratis.server.storage.RaftStorageMetadataFileImpl");
    Method load = file.getDeclaredMethod("load", File.class);
    load.setAccessible(true);
    return (RaftStorageMetadata) load.invoke(null, meta.toFile());
  }
}
