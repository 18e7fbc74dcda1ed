package io.cairn.api;

/** What a caller asks to do, as the ACL policy names it. */
public enum Action {
  /** discover, get, watch, and the cluster views. */
  READ("read"),
  /** register, heartbeat, deregister. */
  REGISTER("register"),
  /** enable, disable, drain, run checks. */
  OPERATE("operate"),
  /** stats and metrics. */
  ADMIN("admin");

  private final String policyName;

  Action(String policyName) {
    this.policyName = policyName;
  }

  public String policyName() {
    return policyName;
  }
}
