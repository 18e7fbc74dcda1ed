package io.cairn.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's package, {@code ./run.sh test} installs it) on a free 127.0.0.1 port, with the
 * scrape configuration a test gives (scraping every second), its storage in a temporary directory; stopped by its PID.
 * Also {@code promtool check metrics}.
 */
public final class Prometheus implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final String base;

  private Prometheus(Process process, Path dir, String base) {
    this.process = process;
    this.dir = dir;
    this.base = base;
  }

  /** Starts Prometheus with these {@code scrape_configs} (YAML, indented as list items under the key). */
  public static Prometheus start(String scrapeConfigs) throws IOException {
    Path dir = Files.createTempDirectory("cairn-prometheus");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        + "scrape_configs:\n" + scrapeConfigs);
    int port = TestNodes.freePort();
    Process p = new ProcessBuilder("prometheus", "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
        "--web.enable-lifecycle")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    Prometheus prometheus = new Prometheus(p, dir, "http://127.0.0.1:" + port);
    try {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .ignoreExceptions().until(() -> {
            if (!p.isAlive()) {
              throw new AssertionError("prometheus exited: " + prometheus.log());
            }
            return Http.get(prometheus.base + "/-/ready").status() == 200;
          });
    } catch (RuntimeException | AssertionError e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  public String base() {
    return base;
  }

  /** The active targets, as {@code /api/v1/targets} lists them. */
  public JsonArray activeTargets() {
    Http.Response r = Http.get(base + "/api/v1/targets?state=active");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonObject("data").getJsonArray("activeTargets");
  }

  /** An instant query; the {@code data} of the answer ({@code resultType}, {@code result}). */
  public JsonObject query(String promql) {
    Http.Response r = Http.get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    assertThat(r.status()).as("%s: %s", promql, r.body()).isEqualTo(200);
    return r.json().getJsonObject("data");
  }

  public String log() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    TempDirs.delete(dir);
  }

  /** What {@code promtool check metrics} says of this exposition text; empty when it passes. */
  public static String checkMetrics(String exposition) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out;
  }
}
