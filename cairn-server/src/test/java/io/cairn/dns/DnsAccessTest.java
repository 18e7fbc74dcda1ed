package io.cairn.dns;

import io.cairn.api.Access;
import io.cairn.api.Action;
import io.cairn.api.Caller;
import io.cairn.config.CairnConfig;
import io.cairn.security.Security;
import io.cairn.security.TokenFile;
import io.cairn.support.Http;
import io.cairn.support.TempDirs;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DNS on a node with security: its callers are {@code anonymous} (DNS carries no credentials), and they get what the
 * ACL policy grants that subject; a name they may not read is REFUSED, whether it exists or not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsAccessTest {
  private static final String ADMIN = "dns-admin-secret";
  private TestNodes cluster;
  private String base;
  private int dns;

  @BeforeAll
  void start() throws Exception {
    Path dir = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-dns-acl"));
    Path tokens = Files.writeString(dir.resolve("tokens"), "admin:" + TokenFile.sha256Hex(ADMIN) + "\n");
    Path policy = Files.writeString(dir.resolve("policy.csv"), String.join("\n",
        "p, admin, *, *, allow",
        "p, anonymous, service:public-*, read, allow", ""));
    dns = Dig.freeDnsPort();
    cluster = new TestNodes(1).withToken(ADMIN);
    base = cluster.start(0, new JsonObject()
        .put("dns", new JsonObject().put("port", dns))
        .put("security", new JsonObject().put("tokensFile", tokens.toString())
            .put("acl", new JsonObject().put("policy", policy.toString()))
            .put("audit", new JsonObject().put("file", dir.resolve("audit.log").toString())))).base();
    for (String name : List.of("public-web", "secret-db")) {
      assertThat(Http.send("PUT", base + "/v1/services/" + name + "-1", Map.of("Authorization", "Bearer " + ADMIN),
          new JsonObject().put("name", name).put("address", "10.9.0.1").put("port", 80).encode()).status())
          .isEqualTo(201);
    }
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @Test
  void anonymousReadsWhatThePolicyGrantsItAndIsRefusedTheRest() {
    assertThat(Dig.query(dns, "public-web.service.cairn", "A").data("A")).containsExactly("10.9.0.1");
    assertThat(Dig.query(dns, "public-nothing.service.cairn", "A").status()).isEqualTo("NXDOMAIN");
    Dig.Result secret = Dig.query(dns, "secret-db.service.cairn", "A");
    assertThat(secret.status()).isEqualTo("REFUSED");
    assertThat(secret.answer()).isEmpty();
    // Refused whether the name exists or not: a refusal tells nothing about what is registered.
    assertThat(Dig.query(dns, "secret-nothing.service.cairn", "A").status()).isEqualTo("REFUSED");
    // The node views need read on cluster.
    assertThat(Dig.query(dns, "n1.node.cairn", "A").status()).isEqualTo("REFUSED");
    // REST still wants a token from the same caller.
    assertThat(Http.get(base + "/v1/services?name=public-web").status()).isEqualTo(401);
  }

  @Test
  void withoutAPolicyAnAnonymousCallerOfASecuredNodeMayNothing() {
    CairnConfig secured = CairnConfig.of(new JsonObject()
        .put("security", new JsonObject().put("tokensFile", "/nonexistent/tokens")));
    Access access = new Access(secured.security(), new Security(secured.security()));
    assertThat(access.allowed(Caller.anonymous("127.0.0.1"), Access.service("web"), Action.READ)).isFalse();
    assertThat(access.readsEverything(Caller.anonymous("127.0.0.1"))).isFalse();
    assertThat(access.allowed(new Caller("admin", "127.0.0.1"), Access.service("web"), Action.READ)).isTrue();

    CairnConfig open = CairnConfig.of(new JsonObject());
    Access openAccess = new Access(open.security(), new Security(open.security()));
    assertThat(openAccess.allowed(Caller.anonymous("127.0.0.1"), Access.service("web"), Action.READ)).isTrue();
    assertThat(openAccess.readsEverything(Caller.anonymous("127.0.0.1"))).isTrue();
  }
}
