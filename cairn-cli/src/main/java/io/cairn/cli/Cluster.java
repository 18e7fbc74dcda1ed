package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One command's way to the cluster: the Java client (gRPC, moving to the next node when one cannot serve) for what
 * gRPC carries, and REST, tried node by node in the same order, for the rest (status, running a check, backups).
 * Commands run on the main thread and wait here for each answer.
 */
final class Cluster implements AutoCloseable {
  private static final long RETRY_MILLIS = 200;
  /** How long a call keeps trying nodes that answer UNAVAILABLE (no leader yet) or none at all. */
  private static final long UNAVAILABLE_MILLIS = 6_000;
  private final List<String> nodes;
  private final String token;
  private final boolean tls;
  private final long timeoutMillis;
  private final Vertx vertx;
  private final HttpClient http;
  private final CairnClient client;

  Cluster(List<String> nodes, String token, String caFile, String certFile, String keyFile, long timeoutMillis) {
    this.nodes = nodes;
    this.token = token;
    this.tls = caFile != null;
    this.timeoutMillis = timeoutMillis;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    HttpClientOptions httpOptions = new HttpClientOptions().setConnectTimeout((int) Math.min(timeoutMillis, 5_000));
    if (tls) {
      httpOptions.setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(caFile));
      if (certFile != null) {
        httpOptions.setKeyCertOptions(new PemKeyCertOptions().setCertPath(certFile).setKeyPath(keyFile));
      }
    }
    this.http = vertx.createHttpClient(httpOptions);
    CairnClient.Builder builder = CairnClient.builder().vertx(vertx).nodes(nodes).token(token)
        .requestTimeout(Duration.ofMillis(timeoutMillis)).retryInterval(Duration.ofMillis(RETRY_MILLIS))
        // Every node named once, and as many again of those the cluster reported, and for at least UNAVAILABLE_MILLIS:
        // a write during a leader election (1-2 s, longer on a loaded machine) waits for the new leader, not fails.
        .maxRetries(Math.max(nodes.size() * 2, (int) (UNAVAILABLE_MILLIS / RETRY_MILLIS)));
    if (tls) {
      builder.tls(caFile);
      if (certFile != null) {
        builder.clientCertificate(certFile, keyFile);
      }
    }
    this.client = builder.build();
  }

  CairnClient client() {
    return client;
  }

  /** Waits for a call of the client; its failure becomes the command's. */
  <T> T await(Future<T> call) {
    try {
      return call.toCompletionStage().toCompletableFuture().get(timeoutMillis * (nodes.size() * 2L + 2) + 5_000,
          TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    } catch (TimeoutException e) {
      throw CliFailure.unreachable("no answer from " + String.join(",", nodes));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.unreachable("interrupted");
    }
  }

  private static CliFailure failure(Throwable cause) {
    if (cause instanceof CliFailure f) {
      return f;
    }
    if (cause instanceof CairnException e) {
      return CliFailure.of(e);
    }
    return CliFailure.unreachable(cause.getMessage() == null ? cause.toString() : cause.getMessage());
  }

  /** A REST call whose answer is a JSON object: to each node in turn (below); 4xx answers are refusals. */
  JsonObject rest(HttpMethod method, String path) {
    return await(eachNode(0, method, path, null, response -> response.body().map(Buffer::toJsonObject)));
  }

  /**
   * Streams a REST answer into {@code file}: written beside it, then moved in place, so that a file by that name is
   * always whole. Answers the value of {@code X-Cairn-Revision}.
   */
  long download(String path, Path file) {
    Path partial = file.toAbsolutePath().resolveSibling(file.getFileName() + ".partial");
    try {
      long revision = await(eachNode(0, HttpMethod.GET, path, null, response -> {
        // Held until the file is open: what arrives before would otherwise be lost.
        response.pause();
        long at = Long.parseLong(response.getHeader("X-Cairn-Revision"));
        return vertx.fileSystem().open(partial.toString(), new OpenOptions().setTruncateExisting(true))
            .compose(response::pipeTo).map(at);
      }));
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return revision;
    } catch (IOException e) {
      throw CliFailure.refused("cannot write " + file + ": " + e.getMessage());
    } finally {
      deleteQuietly(partial);
    }
  }

  /**
   * Each node in turn from {@code index}, until one that is up and ready (not 503) answers: a 2xx goes to
   * {@code answered}, any other status is a refusal.
   */
  private <T> Future<T> eachNode(int index, HttpMethod method, String path, String lastProblem,
                                 Function<HttpClientResponse, Future<T>> answered) {
    if (index >= nodes.size()) {
      return Future.failedFuture(CliFailure.unreachable("no node could answer " + method + " " + path + ": "
          + lastProblem));
    }
    String node = nodes.get(index);
    return http.request(options(method, node, path)).compose(HttpClientRequest::send).transform(ar -> {
      if (ar.failed()) {
        return eachNode(index + 1, method, path, node + ": " + ar.cause().getMessage(), answered);
      }
      HttpClientResponse response = ar.result();
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        return answered.apply(response);
      }
      return response.body().transform(body -> {
        String problem = errorMessage(body.succeeded() ? body.result() : Buffer.buffer(), status);
        return status == 503
            ? eachNode(index + 1, method, path, node + ": " + problem, answered)
            : Future.failedFuture(CliFailure.refused(problem));
      });
    });
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a partial download left behind says what it is by its name
    }
  }

  private RequestOptions options(HttpMethod method, String node, String path) {
    int colon = node.lastIndexOf(':');
    RequestOptions options = new RequestOptions().setMethod(method).setHost(node.substring(0, colon))
        .setPort(Integer.parseInt(node.substring(colon + 1))).setURI(path).setSsl(tls).setTimeout(timeoutMillis);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    return options;
  }

  /** A REST error body ({"error", "message", "field"}) as one line. */
  private static String errorMessage(Buffer body, int status) {
    try {
      JsonObject error = body.toJsonObject();
      String message = error.getString("message", "HTTP " + status);
      String code = error.getString("error");
      return code == null ? message : message + " (" + code + ")";
    } catch (DecodeException | ClassCastException e) {
      return "HTTP " + status + (body.length() > 0 ? ": " + body.toString().strip() : "");
    }
  }

  @Override
  public void close() {
    client.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
