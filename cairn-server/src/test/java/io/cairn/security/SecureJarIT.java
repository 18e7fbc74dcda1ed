package io.cairn.security;

import io.cairn.support.Http;
import io.cairn.support.JarCluster;
import io.cairn.support.SecurityFiles;
import io.cairn.support.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fat jar as an operator starts it: bound beyond loopback without authentication it refuses to start with one
 * line naming the settings; with a tokens file that does not exist yet, it writes one holding a generated admin
 * token's hash and prints the secret once.
 */
class SecureJarIT {
  private JarCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeBoundBeyondLoopbackWithoutAuthenticationRefusesToStartAndSaysWhichSettingToChange() throws Exception {
    cluster = new JarCluster(1, false);
    JarCluster.Node n = cluster.start(0, "--http.host=0.0.0.0");
    assertThat(n.process().waitFor(120, TimeUnit.SECONDS)).as("the node exits").isTrue();
    assertThat(n.process().exitValue()).isNotZero();
    String log = n.logTail(5);
    assertThat(log).contains("cairn: configuration error: http.host is 0.0.0.0")
        .contains("security.tokensFile").contains("security.allowInsecure: true");
  }

  @Test
  void aSecuredNodeWhoseClusterPortIsReachableFromOtherMachinesNeedsClusterCertificatesOrAllowInsecure()
      throws Exception {
    Path tokens = SecurityFiles.tokens("s3cret", "admin");
    cluster = new JarCluster(1, false, "--security.tokensFile=" + tokens);
    // 192.0.2.1 (TEST-NET-1) is never bound: the node refuses before it opens any socket.
    JarCluster.Node refused = cluster.start(0, "--cluster.host=192.0.2.1");
    assertThat(refused.process().waitFor(120, TimeUnit.SECONDS)).as("the node exits").isTrue();
    assertThat(refused.process().exitValue()).isNotZero();
    assertThat(refused.logTail(5)).contains("cairn: configuration error: cluster.host is 192.0.2.1")
        .contains("security.cluster.certFile").contains("security.allowInsecure: true");
    // Vert.x's own flag for the event bus' host is cluster.host too, and refused the same way.
    JarCluster.Node launcherFlag = cluster.startWithDefaultHosts(0, "-cluster-host", "192.0.2.1");
    assertThat(launcherFlag.process().waitFor(120, TimeUnit.SECONDS)).as("the node exits").isTrue();
    assertThat(launcherFlag.process().exitValue()).isNotZero();
    assertThat(launcherFlag.logTail(5)).contains("cairn: configuration error: cluster.host is 192.0.2.1");
    cluster.close();

    // In a network namespace of its own, bound to the namespace's address (JarCluster adds allowInsecure there).
    cluster = new JarCluster(1, true, "--security.tokensFile=" + tokens);
    JarCluster.Node accepted = cluster.start(0);
    cluster.awaitHealthy(accepted, Duration.ofSeconds(180));
    assertThat(accepted.logTail(400)).contains("WARN").contains("admits any process that reaches it")
        .contains("security.cluster.*");
  }

  @Test
  void aFirstStartWithTokensWritesTheHashOfAGeneratedAdminTokenAndPrintsTheSecretOnce() throws Exception {
    Path dir = TempDirs.deletedAtExit(Files.createTempDirectory("cairn-first"));
    Path tokens = dir.resolve("conf").resolve("tokens");
    cluster = new JarCluster(1, false, "--security.tokensFile=" + tokens);
    JarCluster.Node n = cluster.start(0);
    Pattern printed = Pattern.compile("its secret, shown only now: (\\S+)");
    String[] secret = new String[1];
    await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> {
      Matcher m = printed.matcher(n.logTail(400));
      if (m.find()) {
        secret[0] = m.group(1);
      }
      return secret[0] != null && Http.get(n.base() + "/health").status() == 200;
    });
    String file = Files.readString(tokens);
    assertThat(file).contains("admin:" + TokenFile.sha256Hex(secret[0])).doesNotContain(secret[0]);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens))).isEqualTo("rw-------");
    assertThat(Http.get(n.base() + "/v1/status").status()).isEqualTo(401);
    assertThat(Http.send("GET", n.base() + "/v1/status", Map.of("Authorization", "Bearer " + secret[0]), null).status())
        .isEqualTo(200);

    // A restart keeps the file (and the token) and prints no secret again.
    cluster.terminate(n, Duration.ofSeconds(60));
    cluster.start(0);
    cluster.awaitHealthy(n, Duration.ofSeconds(180));
    assertThat(Files.readString(tokens)).isEqualTo(file);
    assertThat(n.logTail(400).split("shown only now", -1)).hasSize(2);
    assertThat(Http.send("GET", n.base() + "/v1/status", Map.of("Authorization", "Bearer " + secret[0]), null).status())
        .isEqualTo(200);
  }
}
