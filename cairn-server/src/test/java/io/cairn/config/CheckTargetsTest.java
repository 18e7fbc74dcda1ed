package io.cairn.config;

import io.cairn.model.CheckDefaults;
import io.cairn.model.Registrations;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a check may connect: the instance's own address and port, or what checks.allowedTargets lists. */
class CheckTargetsTest {
  private static final CheckTargets NONE_LISTED = new CheckTargets(List.of());

  private static ServiceEntry instance(String address, int port, JsonObject check) {
    JsonObject body = new JsonObject().put("name", "web").put("address", address).put("port", port);
    if (check != null) {
      body.put("check", check);
    }
    CheckDefaults defaults = CairnConfig.of(null).checks().defaults(Set.of("http", "tcp", "grpc", "ttl"));
    return Registrations.parse(body, "web-1", defaults);
  }

  private static JsonObject url(String url) {
    return new JsonObject().put("type", "http").put("url", url);
  }

  @Test
  void aCheckOfTheInstancesOwnAddressAndPortIsAllowed() {
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, url("http://10.0.0.5:8080/health")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 443, url("https://10.0.0.5/health")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 80, url("http://10.0.0.5/health")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("Web.Example.org", 80, url("http://web.example.org/health")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("::1", 8080, url("http://[0:0:0:0:0:0:0:1]:8080/")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, new JsonObject().put("type", "http")
        .put("path", "/health")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, new JsonObject().put("type", "tcp")))).isNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, null))).isNull();
  }

  @Test
  void aUrlNamingAnotherHostOrPortIsRefusedNamingTheSetting() {
    CheckTargets.Refusal otherHost = NONE_LISTED.refusal(instance("10.0.0.5", 8080, url("http://10.0.0.6:8080/")));
    assertThat(otherHost.field()).isEqualTo("check.url");
    assertThat(otherHost.message()).contains("10.0.0.6:8080").contains("10.0.0.5:8080")
        .contains("checks.allowedTargets");
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, url("http://10.0.0.5:9090/admin")))).isNotNull();
    assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 8080, url("http://10.0.0.5/")))).isNotNull();
    assertThat(NONE_LISTED.refusal(instance("web.example.org", 80, url("http://admin.example.org/")))).isNotNull();
  }

  @Test
  void linkLocalAndMetadataAddressesAreRefusedEvenAsTheInstancesOwnUnlessListed() {
    for (String host : List.of("169.254.169.254", "169.254.1.1", "[fe80::1]", "[fd00:ec2::254]", "100.100.100.200",
        "metadata.google.internal", "METADATA.google.internal.", "[::ffff:169.254.169.254]", "2852039166",
        "0xa9fea9fe", "0251.0376.0251.0376")) {
      assertThat(NONE_LISTED.refusal(instance("10.0.0.5", 80, url("http://" + host + "/latest/meta-data/"))))
          .as(host).isNotNull().extracting(CheckTargets.Refusal::message).asString()
          .contains("checks.allowedTargets");
    }
    assertThat(NONE_LISTED.refusal(instance("169.254.169.254", 80, new JsonObject().put("type", "tcp")))).isNotNull()
        .extracting(CheckTargets.Refusal::field).isEqualTo("address");
    assertThat(NONE_LISTED.refusal(instance("fe80::1", 80, new JsonObject().put("type", "grpc")))).isNotNull();
    assertThat(NONE_LISTED.refusal(instance("169.254.169.254", 80, new JsonObject().put("type", "http")
        .put("path", "/latest/meta-data/")))).isNotNull();
    CheckTargets metadataListed = new CheckTargets(List.of("169.254.169.254"));
    assertThat(metadataListed.refusal(instance("10.0.0.5", 80, url("http://169.254.169.254/")))).isNull();
    assertThat(metadataListed.refusal(instance("169.254.169.254", 80, new JsonObject().put("type", "tcp")))).isNull();
    assertThat(metadataListed.refusal(instance("10.0.0.5", 80, url("http://169.254.169.253/")))).isNotNull();
  }

  @Test
  void aHostNameIsJudgedByTheAddressItResolvesToWhenTheCheckRuns() throws Exception {
    InetAddress metadata = InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254});
    InetAddress ordinary = InetAddress.getByAddress(new byte[] {10, 0, 0, 5});
    assertThat(NONE_LISTED.allowsResolved("web.example.org", ordinary)).isTrue();
    assertThat(NONE_LISTED.allowsResolved("169.254.169.254.nip.io", metadata)).isFalse();
    assertThat(new CheckTargets(List.of("169.254.169.254/32")).allowsResolved("md.example.org", metadata)).isTrue();
    assertThat(new CheckTargets(List.of("md.example.org")).allowsResolved("md.example.org", metadata)).isTrue();
  }

  @Test
  void anAddressIsToldFromAHostNameAsUrlsWriteIt() {
    assertThat(CheckTargets.isAddress("[::1]")).as("an IPv6 url's host, brackets and all").isTrue();
    assertThat(CheckTargets.isAddress("::1")).isTrue();
    assertThat(CheckTargets.isAddress("10.0.0.5")).isTrue();
    assertThat(CheckTargets.isAddress("localhost")).isFalse();
  }

  @Test
  void theAllowListTakesCidrsAddressesAndHostNames() {
    CheckTargets listed = new CheckTargets(List.of("10.1.0.0/16", "127.0.0.1", "status.example.org",
        "*.internal.example.org", "2001:db8::/32"));
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("http://10.1.200.3:9000/")))).isNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("http://10.2.0.1/")))).isNotNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("http://127.0.0.1:9/")))).isNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("http://127.0.0.2/")))).isNotNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("https://STATUS.example.org/ok")))).isNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("https://a.b.internal.example.org/")))).isNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("https://internal.example.org.evil.net/")))).isNotNull();
    assertThat(listed.refusal(instance("10.0.0.5", 80, url("http://[2001:db8::7]/")))).isNull();
  }
}
