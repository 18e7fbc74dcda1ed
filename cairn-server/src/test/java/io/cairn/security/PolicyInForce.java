package io.cairn.security;

import io.cairn.config.CairnConfig;

/**
 * An ACL policy put in force without files or a {@link SecurityVerticle}, for unit tests of what a caller may see
 * (the verticle is the only other way to a policy, and it reads files on a Vert.x instance).
 */
public final class PolicyInForce {
  private PolicyInForce() {
  }

  /** What a node configured as {@code cfg} knows of its callers, with these policy lines in force. */
  public static Security security(CairnConfig cfg, String... policyLines) {
    Security security = new Security(cfg.security());
    security.acl(AclPolicy.of(AclPolicy.shippedModel(), String.join("\n", policyLines) + "\n"));
    return security;
  }
}
