package io.cairn.node;

/** The version of Cairn this node runs, as the jar's manifest says (or "dev" when run from classes). */
public final class CairnVersion {
  public static final String VERSION = version();

  private CairnVersion() {
  }

  private static String version() {
    String v = CairnVersion.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
