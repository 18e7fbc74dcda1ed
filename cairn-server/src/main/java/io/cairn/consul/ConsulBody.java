package io.cairn.consul;

import io.cairn.api.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The body of a Consul write, read whatever its content type: Consul takes JSON sent as a form (curl's {@code -d}
 * default), and Vert.x's body handler would decode such a body as a form.
 */
final class ConsulBody {
  private static final String BODY = "consul.body";

  private ConsulBody() {
  }

  /** Reads a body of at most {@code limit} bytes (413 beyond) into the routing context, then goes on. */
  static Handler<RoutingContext> reader(int limit) {
    return rc -> {
      HttpServerRequest request = rc.request();
      Buffer body = Buffer.buffer();
      if (request.isEnded()) {
        rc.put(BODY, body); // no body, and it has been read already
        rc.next();
        return;
      }
      boolean[] tooLarge = {false};
      request.handler(chunk -> {
        if (tooLarge[0]) {
          return;
        }
        if (body.length() + chunk.length() > limit) {
          tooLarge[0] = true;
          ConsulErrors.error(rc, new ApiException(413, "body_too_large", "Request body too large (http.maxBodyBytes)"));
          return;
        }
        body.appendBuffer(chunk);
      });
      request.exceptionHandler(rc::fail);
      request.endHandler(v -> {
        if (!tooLarge[0]) {
          rc.put(BODY, body);
          rc.next();
        }
      });
      request.resume();
    };
  }

  /** The body {@link #reader} read, as a JSON object (400 when it is empty or is not one). */
  static JsonObject json(RoutingContext rc) {
    Buffer body = rc.get(BODY);
    if (body == null || body.length() == 0) {
      throw new ApiException(400, "invalid_body", "Request decode failed: the body is empty");
    }
    try {
      Object parsed = Json.decodeValue(body);
      if (!(parsed instanceof JsonObject)) {
        throw new ApiException(400, "invalid_body", "Request decode failed: the body must be a JSON object");
      }
      return (JsonObject) parsed;
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid_body", "Request decode failed: the body is not valid JSON");
    }
  }
}
