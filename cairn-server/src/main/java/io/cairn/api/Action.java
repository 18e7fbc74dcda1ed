package io.cairn.api;

/** What a caller asks to do, as the ACL policy names it. */
public enum Action {
  /** discover, get, watch, and the cluster views. */
  READ("read"),
  /** register, heartbeat, deregister. */
  REGISTER("register"),
  /** enable, disable, drain, run checks; write and delete routes. */
  OPERATE("operate"),
  /** stats and metrics. */
  ADMIN("admin"),
  /** send requests through the proxy to a service's instances. */
  ROUTE("route");

  private final String policyName;

  Action(String policyName) {
    this.policyName = policyName;
  }

  public String policyName() {
    return policyName;
  }
}
