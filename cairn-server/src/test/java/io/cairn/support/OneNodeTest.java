package io.cairn.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.util.UUID;

/**
 * The tests of one real node shared by a class's tests: each test works under names of its own
 * ({@link #unique}), so that they do not see each other's instances.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OneNodeTest {
  protected TestNodes cluster;
  protected TestNodes.Node node;
  /** The node's HTTP base URL. */
  protected String base;

  @BeforeAll
  void startNode() {
    cluster = new TestNodes(1);
    node = cluster.start(0);
    base = node.base();
  }

  @AfterAll
  void stopNode() throws Exception {
    cluster.close();
  }

  /** A name no other test uses: {@code prefix-} and eight random characters. */
  protected static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
