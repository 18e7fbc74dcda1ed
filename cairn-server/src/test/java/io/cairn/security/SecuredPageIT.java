package io.cairn.security;

import io.cairn.support.Browser;
import io.cairn.support.Http;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The topology page against a node that takes tokens, in Chromium: without a token it says that it needs one;
 * with the viewer's token typed into its token field it goes live, and shows what the viewer may read and not
 * what the policy denies it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredPageIT {
  private static final String ADMIN = "page-admin-secret";
  private static final String VIEWER = "page-viewer-secret";
  private TestNodes cluster;
  private TestNodes.Node node;
  private Browser browser;

  @BeforeAll
  void start() throws Exception {
    Path tokens = SecurityFiles.tokens(ADMIN, "admin", VIEWER, "wall-screen");
    Path policy = SecurityFiles.policy("p, admin, *, *, allow", "p, viewer, *, read, allow",
        "p, viewer, service:vault*, read, deny", "g, wall-screen, viewer");
    cluster = new TestNodes(1).withToken(ADMIN);
    node = cluster.start(0, new JsonObject().put("security", new JsonObject().put("tokensFile", tokens.toString())
        .put("acl", new JsonObject().put("policy", policy.toString()))));
    for (String[] instance : new String[][] {{"web-1", "web"}, {"vault-1", "vault"}}) {
      assertThat(Http.send("PUT", node.base() + "/v1/services/" + instance[0], Map.of("Authorization", "Bearer " + ADMIN),
          new JsonObject().put("name", instance[1]).put("address", "127.0.0.1").put("port", 80).encode()).status())
          .isEqualTo(201);
    }
    browser = Browser.start();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (browser != null) {
        System.out.println("page console:\n" + browser.console());
        browser.close();
      }
    } finally {
      cluster.close();
    }
  }

  @Test
  void withoutATokenThePageAsksForOneAndWithTheViewersItShowsWhatTheViewerMayRead() throws Exception {
    browser.open(node.base() + "/");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(browser.attribute("#connection", "data-state")).isEqualTo("unauthenticated");
      assertThat(browser.text("#banner")).contains("enter yours in the token field");
    });
    browser.screenshot("secured-01-needs-token");

    browser.one("#token").sendKeys(VIEWER);
    browser.one("#token-form button").click();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(browser.attribute("#connection", "data-state")).isEqualTo("live");
      assertThat(browser.find("li[data-instance-id='web-1']")).isNotNull();
      assertThat(browser.all("[data-node-id][data-status='alive']")).hasSize(1);
    });
    assertThat(browser.find("li[data-instance-id='vault-1']")).isNull();
    browser.screenshot("secured-02-viewer-live");
  }
}
