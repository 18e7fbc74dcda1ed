package io.cairn.bridge;

/**
 * A bridge's server holds a newer term than the one this node writes in: another node runs the bridge now, and this
 * one must stop writing (its late writes are refused, not mixed in).
 */
public final class FencedOut extends RuntimeException {
  public FencedOut(String target, long term, String held) {
    super(target + " is held by term " + held + ", newer than this node's term " + term);
  }

  public FencedOut(String message) {
    super(message);
  }
}
