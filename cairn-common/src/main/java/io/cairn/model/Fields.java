package io.cairn.model;

import io.vertx.core.json.JsonObject;

/**
 * Reading the fields of a client's JSON document (a registration, a route), each failure a {@link ValidationException}
 * naming the field at fault.
 */
final class Fields {
  private Fields() {
  }

  static boolean optionalBoolean(JsonObject j, String key, String field) {
    Object v = j.getValue(key);
    if (v == null) {
      return false;
    }
    if (!(v instanceof Boolean)) {
      throw new ValidationException("invalid_type", field + " must be true or false", field);
    }
    return (Boolean) v;
  }

  static long duration(String text, String field) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ValidationException("invalid_duration", e.getMessage(), field);
    }
  }

  static String requiredString(JsonObject j, String key) {
    return requiredString(j, key, key);
  }

  static String requiredString(JsonObject j, String key, String field) {
    String value = optionalString(j, key, field);
    if (value == null || value.isEmpty()) {
      throw new ValidationException("missing_field", field + " is required", field);
    }
    return value;
  }

  static String optionalString(JsonObject j, String key) {
    return optionalString(j, key, key);
  }

  static String optionalString(JsonObject j, String key, String field) {
    Object v = j.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String)) {
      throw new ValidationException("invalid_type", field + " must be a string", field);
    }
    return (String) v;
  }

  static int requiredInt(JsonObject j, String key) {
    return requiredInt(j, key, key);
  }

  static int requiredInt(JsonObject j, String key, String field) {
    Object v = j.getValue(key);
    if (v == null) {
      throw new ValidationException("missing_field", field + " is required", field);
    }
    if (!(v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte)) {
      throw new ValidationException("invalid_type", field + " must be a whole number", field);
    }
    long value = ((Number) v).longValue();
    if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
      throw new ValidationException("invalid_" + field.replace("check.", ""), field + " is out of range", field);
    }
    return (int) value;
  }
}
