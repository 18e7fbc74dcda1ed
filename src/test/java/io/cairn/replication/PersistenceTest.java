package io.cairn.replication;

import io.cairn.model.Command;
import io.cairn.registry.Apply;
import io.cairn.registry.Replica;
import io.cairn.registry.Snapshot;
import io.cairn.registry.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Disk snapshots and the journal, on a real file system. */
class PersistenceTest {

  private static Snapshot registryAt(long revision, int instances) {
    Replica r = new Replica();
    for (int i = 0; i < instances; i++) {
      Apply.apply(r, Command.register("n1", 0, i, Fixtures.definition("web-" + i, "web"), false, Command.NO_CAS), i + 1);
    }
    Snapshot s = r.snapshot();
    return new Snapshot(revision, s.term(), s.leader(), s.leaderSince(), s.services(), s.nodes());
  }

  @Test
  void snapshotsAreKeptNewestFirstUpToRetainAndReadBackWhole(@TempDir Path dir) {
    DiskSnapshots disk = new DiskSnapshots(dir, 2);
    disk.write(registryAt(10, 3));
    disk.write(registryAt(20, 4));
    disk.write(registryAt(30, 5));
    assertThat(disk.files()).extracting(DiskSnapshots::revisionOf).containsExactly(30L, 20L);
    Snapshot newest = disk.loadNewest();
    assertThat(newest.revision()).isEqualTo(30);
    assertThat(newest.services()).hasSize(5);
    assertThat(dir.resolve("snapshots")).isDirectoryNotContaining("glob:**.tmp");
  }

  @Test
  void aCorruptOrTruncatedNewestSnapshotFallsBackToTheOneBefore(@TempDir Path dir) throws Exception {
    DiskSnapshots disk = new DiskSnapshots(dir, 3);
    disk.write(registryAt(10, 3));
    Path newest = disk.write(registryAt(20, 4));
    byte[] bytes = Files.readAllBytes(newest);
    Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThat(disk.loadNewest().revision()).isEqualTo(10);
    Files.writeString(newest, "not a snapshot", StandardOpenOption.TRUNCATE_EXISTING);
    assertThat(disk.loadNewest().revision()).isEqualTo(10);
    assertThat(new DiskSnapshots(dir.resolve("empty"), 3).loadNewest()).isNull();
  }

  @Test
  void theJournalReadsBackWhatWasFlushedAndStopsAtATornRecord(@TempDir Path dir) throws Exception {
    Journal journal = new Journal(dir);
    for (int r = 1; r <= 5; r++) {
      journal.append(r, ("item-" + r).getBytes(StandardCharsets.UTF_8));
    }
    journal.flush();
    journal.append(6, "item-6".getBytes(StandardCharsets.UTF_8));
    // Not flushed: a crash now loses revision 6, nothing else.
    assertThat(new Journal(dir).readAfter(2)).extracting(Journal.Record::revision).containsExactly(3L, 4L, 5L);
    journal.flush();
    Path file = Files.list(dir.resolve("journal")).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));
    List<Journal.Record> read = new Journal(dir).readAfter(0);
    assertThat(read).extracting(Journal.Record::revision).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(new String(read.get(4).item(), StandardCharsets.UTF_8)).isEqualTo("item-5");
  }

  @Test
  void afterASnapshotTheJournalDropsTheFilesItCoversAndKeepsTheRest(@TempDir Path dir) throws Exception {
    Journal journal = new Journal(dir);
    for (int r = 1; r <= 10; r++) {
      journal.append(r, new byte[] {(byte) r});
    }
    journal.flush();
    journal.rollAfter(6);
    for (int r = 11; r <= 12; r++) {
      journal.append(r, new byte[] {(byte) r});
    }
    journal.flush();
    // The first file also holds 7-10, after the snapshot: kept until a later snapshot covers them.
    assertThat(journal.readAfter(6)).extracting(Journal.Record::revision).containsExactly(7L, 8L, 9L, 10L, 11L, 12L);
    journal.rollAfter(12);
    journal.flush();
    assertThat(journal.readAfter(0)).isEmpty();
    try (var files = Files.list(dir.resolve("journal"))) {
      assertThat(files.count()).isZero();
    }
  }
}
