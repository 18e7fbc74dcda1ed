package io.cairn.api;

/**
 * Who makes a request: a token's name, a client certificate's subject CN, or {@link #ANONYMOUS} on a node without
 * security; and where it came from, for the audit log.
 */
public record Caller(String name, String remote) {
  public static final String ANONYMOUS = "anonymous";

  /** The node itself (housekeeping it does on its own behalf): never checked. */
  public static final Caller NODE = new Caller("node", "local");

  public static Caller anonymous(String remote) {
    return new Caller(ANONYMOUS, remote);
  }
}
