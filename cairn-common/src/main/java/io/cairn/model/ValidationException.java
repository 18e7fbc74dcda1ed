package io.cairn.model;

/**
 * Input a client must fix: a code a program can switch on, a message a person can act on, and the field at fault.
 * Thrown before anything reaches the log, so bad input never changes state.
 */
public class ValidationException extends RuntimeException {
  private final String code;
  private final String field;

  public ValidationException(String code, String message, String field) {
    super(message, null, false, false);
    this.code = code;
    this.field = field;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }
}
