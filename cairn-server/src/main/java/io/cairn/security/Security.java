package io.cairn.security;

import io.cairn.config.SecuritySettings;

/**
 * What a node knows of its callers right now: the accepted tokens and the ACL policy, as last read from disk by the
 * {@link SecurityVerticle}. Read from every event loop; replaced whole when a file changes, never edited in place.
 */
public final class Security {
  private final boolean tokensEnabled;
  private final boolean certificatesIdentify;
  private volatile TokenFile tokens = TokenFile.parse("", "none");
  private volatile AclPolicy acl = AclPolicy.ALLOW_ALL;

  public Security(SecuritySettings settings) {
    this.tokensEnabled = !settings.tokensFile().isBlank();
    this.certificatesIdentify = !settings.tlsClientAuth().equals("none");
  }

  /** Whether callers must say who they are (a token, or a client certificate). Off: everyone is anonymous. */
  public boolean enabled() {
    return tokensEnabled || certificatesIdentify;
  }

  public boolean tokensEnabled() {
    return tokensEnabled;
  }

  /** Whether a client certificate's subject CN names the caller (mutual TLS, required or optional). */
  public boolean certificatesIdentify() {
    return certificatesIdentify;
  }

  /** The name of the token with this secret, or null (also when tokens are off). */
  public String tokenName(String secret) {
    return tokensEnabled ? tokens.nameOf(secret) : null;
  }

  public AclPolicy acl() {
    return acl;
  }

  void tokens(TokenFile tokens) {
    this.tokens = tokens;
  }

  void acl(AclPolicy acl) {
    this.acl = acl;
  }
}
