package io.cairn.replication;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * Writes a division's {@code raft-meta} (its current term and vote) again when a full disk has emptied it.
 *
 * <p>Why: Ratis 3.2.2 writes the file through a temporary file that it renames over the old one when the stream
 * closes, even when writing failed; on a full disk that leaves it empty, and a division restarted from that storage
 * fails with "Failed to load .../raft-meta" for as long as the file stays so (FullDiskIT: a leader whose disk filled
 * up stepped down, learned the next term, could not write it, and never came back once space returned).
 *
 * <p>What is written: the term this process knew last (what the division held in memory is at least what it ever
 * wrote), and this node as the vote. A node that claims its vote in that term cannot grant it to a second candidate,
 * so at most one vote is given per term, as Raft requires, whoever it went to; its own candidacy would begin a new
 * term. A term below the lost one could not be written safely, which is why only a restart within the process
 * repairs: a node started with an empty {@code raft-meta} fails with Ratis' error, for an operator to look at.
 */
final class EmptiedRaftMeta {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);

  private EmptiedRaftMeta() {
  }

  /** Rewrites {@code raft-meta} under {@code current} if it exists and holds no term; true if it did. */
  static boolean repair(Path current, long term, String self) throws IOException {
    Path meta = current.resolve("raft-meta");
    if (!Files.exists(meta) || readable(meta)) {
      return false;
    }
    Path tmp = current.resolve("raft-meta.cairn-repair");
    byte[] content = ("term=" + term + "\nvotedFor=" + self + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(content);
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      out.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    log.warn("{} held no term (Ratis emptied it when the disk was full): wrote term {} and this node's vote", meta,
        term);
    return true;
  }

  private static boolean readable(Path meta) throws IOException {
    Properties properties = new Properties();
    properties.load(new StringReader(Files.readString(meta, StandardCharsets.UTF_8)));
    try {
      Long.parseLong(properties.getProperty("term", ""));
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
