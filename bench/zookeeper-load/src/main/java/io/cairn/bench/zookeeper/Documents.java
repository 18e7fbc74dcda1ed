package io.cairn.bench.zookeeper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The documents of the ZooKeeper runs, the same bytes as those sent to Cairn and etcd: the registration documents of
 * bench/peers.lua (its {@code document(j)}, copied here character for character) and the preloaded instances the
 * script writes to a file for every peer.
 */
final class Documents {
  /** One preloaded instance: its znode path below /services and its JSON document. */
  record Instance(String name, String id, byte[] json) {
  }

  private final String prefix;
  private final byte[][] documents = new byte[1000][];

  /** The 1,000 documents of a registration run whose names are {@code <prefix>-0 .. <prefix>-999}. */
  Documents(String prefix) {
    this.prefix = prefix;
    for (int j = 0; j < 1000; j++) {
      documents[j] = document(prefix, j).getBytes(StandardCharsets.UTF_8);
    }
  }

  String prefix() {
    return prefix;
  }

  String name(int j) {
    return prefix + "-" + j;
  }

  byte[] document(int j) {
    return documents[j];
  }

  // bench/peers.lua's document(j): name, address, port, version, tags, metadata padded to about 300 bytes, region, zone.
  static String document(String prefix, int j) {
    return "{\"name\":\"" + prefix + "-" + j + "\",\"address\":\"10.0." + (j % 250) + ".1\",\"port\":" + (1000 + j)
        + ",\"version\":\"1.2." + (j % 7) + "\",\"tags\":[\"bench\",\"t" + (j % 5) + "\",\"http\"],\"metadata\":{\"team\":\"perf\","
        + "\"owner\":\"registry-benchmarks\",\"build\":\"2026.11.27-" + String.format("%06d", j) + "\","
        + "\"commit\":\"4f0c2a9e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a\",\"tier\":\"backend\"},\"region\":\"eu\",\"zone\":\"eu-"
        + (j % 3) + "\"}";
  }

  /** The preload file of bench/peers.sh: one instance a line, name TAB id TAB JSON document. */
  static List<Instance> preload(Path file) throws IOException {
    List<Instance> instances = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split("\t", 3);
      instances.add(new Instance(fields[0], fields[1], fields[2].getBytes(StandardCharsets.UTF_8)));
    }
    return instances;
  }
}
