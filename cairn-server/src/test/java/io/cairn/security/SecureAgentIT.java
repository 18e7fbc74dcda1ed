package io.cairn.security;

import com.sun.net.httpserver.HttpServer;
import io.cairn.support.Certificates;
import io.cairn.support.JarCluster;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent (its own process, from the fat jar) against a node with TLS and tokens: with the CA and a token that may
 * register its service it registers, keeps the instance passing and removes it on SIGTERM; with a token that may
 * not, the node refuses it and nothing is registered.
 */
class SecureAgentIT {
  private static final String ADMIN = "agent-admin-secret";
  private static final String DEPLOYER = "agent-deployer-secret";
  private static final String OTHER = "agent-other-secret";
  private TestNodes cluster;
  private HttpServer service;
  private Process agent;
  /** The agents' logs, deleted after the test. */
  @TempDir
  private Path logs;

  @AfterEach
  void stop() {
    if (agent != null && agent.isAlive()) {
      agent.destroyForcibly();
    }
    if (service != null) {
      service.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anAgentWithTheCaAndARightfulTokenRegistersAndDeregistersAndOneWithoutTheRightIsRefused() throws Exception {
    Path certs = Certificates.make();
    Path tokens = SecurityFiles.tokens(ADMIN, "admin", DEPLOYER, "web-deployer", OTHER, "other");
    Path policy = SecurityFiles.policy("p, admin, *, *, allow", "p, web-deployer, service:web*, register, allow");
    cluster = new TestNodes(1).withToken(ADMIN).withTls(certs.resolve("ca.pem"), null);
    TestNodes.Node node = cluster.start(0, new JsonObject().put("security", new JsonObject()
        .put("tokensFile", tokens.toString()).put("acl", new JsonObject().put("policy", policy.toString()))
        .put("tls", new JsonObject().put("certFile", certs.resolve("node.pem").toString())
            .put("keyFile", certs.resolve("node-key.pem").toString()))));
    service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    service.createContext("/health", exchange -> {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    service.start();
    HttpClient https = HttpClient.newBuilder().sslContext(Certificates.sslContext(certs.resolve("ca.pem"), null)).build();

    Path refusedLog = Files.createFile(logs.resolve("agent-refused.log"));
    agent = start(node, OTHER, "web-other", certs, refusedLog);
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(refusedLog).contains("permission_denied")
        || Files.readString(refusedLog).contains("PERMISSION_DENIED") || Files.readString(refusedLog).contains("forbidden"));
    assertThat(instance(https, node, "web-other").statusCode()).isEqualTo(404);
    agent.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

    Path log = Files.createFile(logs.resolve("agent.log"));
    agent = start(node, DEPLOYER, "web-api", certs, log);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      HttpResponse<String> r = instance(https, node, "web-api");
      return r.statusCode() == 200 && new JsonObject(r.body()).getString("health").equals("healthy");
    });
    agent.destroy(); // SIGTERM: drain, then deregister
    assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(agent.exitValue()).as(Files.readString(log)).isZero();
    assertThat(instance(https, node, "web-api").statusCode()).isEqualTo(404);
  }

  private Process start(TestNodes.Node node, String token, String id, Path certs, Path log) throws Exception {
    return JarCluster.runJarClass("io.cairn.agent.CairnAgent", log, List.of("--nodes", "127.0.0.1:" + node.httpPort(),
        "--name", "web", "--id", id, "--port", Integer.toString(service.getAddress().getPort()), "--address",
        "127.0.0.1", "--check", "http:/health", "--ttl", "3s", "--drain", "500ms", "--token", token,
        "--ca", certs.resolve("ca.pem").toString()));
  }

  private static HttpResponse<String> instance(HttpClient https, TestNodes.Node node, String id) throws Exception {
    return https.send(HttpRequest.newBuilder(URI.create(node.base() + "/v1/services/" + id))
        .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
  }
}
