package io.cairn.http.rest;

import io.cairn.api.ApiException;
import io.cairn.model.Command;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** What the REST API reads from a request beyond its path: the JSON body, and a compare-and-set revision. */
final class RestBodies {
  private RestBodies() {
  }

  static long casParam(RoutingContext rc) {
    String cas = rc.queryParams().get("cas");
    if (cas == null) {
      return Command.NO_CAS;
    }
    try {
      long value = Long.parseLong(cas);
      if (value < 0) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new ApiException(400, "invalid_cas", "cas must be a revision: a whole number, 0 for 'only if absent'", "cas");
    }
  }
  static JsonObject jsonObject(RoutingContext rc, String what) {
    Object parsed = jsonBody(rc);
    if (!(parsed instanceof JsonObject)) {
      throw new ApiException(400, "invalid_body", "the body must be a JSON object describing " + what, null);
    }
    return (JsonObject) parsed;
  }
  /** The body as parsed JSON, after checking that it claims to be JSON. */
  static Object jsonBody(RoutingContext rc) {
    String type = rc.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "send the body as Content-Type: application/json", null);
    }
    Buffer body = rc.body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(400, "invalid_json", "the body is empty; send a JSON document", null);
    }
    try {
      return Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid_json", "the body is not valid JSON: " + firstLine(e.getMessage()), null);
    }
  }
  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
