package io.cairn.security;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped model with the policy the issue describes: what each subject may do. */
class AclPolicyTest {
  private static final String POLICY = String.join("\n",
      "p, admin, *, *, allow",
      "p, payments-deployer, service:payments-*, register, allow",
      "p, viewer, *, read, allow",
      "p, viewer, service:vault*, read, deny",
      "p, operator, service:*, operate, allow",
      "g, wall-screen, viewer",
      "g, alice, operator",
      "");

  private final AclPolicy acl = AclPolicy.of(AclPolicy.shippedModel(), POLICY);

  @Test
  void aDeployerRegistersOnlyTheServicesItsPatternCovers() {
    assertThat(acl.allowed("payments-deployer", "service:payments-api", "register")).isTrue();
    assertThat(acl.allowed("payments-deployer", "service:orders", "register")).isFalse();
    assertThat(acl.allowed("payments-deployer", "service:payments-api", "operate")).isFalse();
    assertThat(acl.allowed("payments-deployer", "service:payments-api", "read")).isFalse();
  }

  @Test
  void rolesGrantTheirRightsAndADenyWinsOverAnAllow() {
    assertThat(acl.allowed("wall-screen", "service:orders", "read")).isTrue();
    assertThat(acl.allowed("wall-screen", "cluster", "read")).isTrue();
    assertThat(acl.allowed("wall-screen", "service:vault", "read")).isFalse();
    assertThat(acl.allowed("wall-screen", "service:orders", "register")).isFalse();
    assertThat(acl.allowed("alice", "service:orders", "operate")).isTrue();
    assertThat(acl.allowed("alice", "cluster", "admin")).isFalse();
    assertThat(acl.allowed("admin", "cluster", "admin")).isTrue();
  }

  @Test
  void whatNoLineAllowsIsDenied() {
    assertThat(acl.allowed("stranger", "service:orders", "read")).isFalse();
    assertThat(AclPolicy.of(AclPolicy.shippedModel(), "# nothing yet\n").allowed("admin", "cluster", "read")).isFalse();
    assertThat(AclPolicy.of(AclPolicy.shippedModel(), "").enforced()).isTrue();
    assertThat(AclPolicy.ALLOW_ALL.allowed("anyone", "cluster", "admin")).isTrue();
  }

  @Test
  void decisionsAreTheSameWhenAskedAgain() {
    for (int i = 0; i < 3; i++) {
      assertThat(acl.allowed("payments-deployer", "service:payments-api", "register")).isTrue();
      assertThat(acl.allowed("payments-deployer", "service:orders", "register")).isFalse();
    }
  }

  @Test
  void aModelJcasbinCannotReadIsRefused() {
    assertThatThrownBy(() -> AclPolicy.of("[request_definition]\nr = sub\n", POLICY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ACL model or policy");
  }

  @Test
  void certificateNamesAreTheMostSpecificCommonName() {
    assertThat(PeerCertificates.commonName("CN=payments-deployer,O=Acme,C=DE")).isEqualTo("payments-deployer");
    assertThat(PeerCertificates.commonName("O=Acme")).isNull();
  }
}
