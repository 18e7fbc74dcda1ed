package io.cairn.gateway;

/**
 * The {@code grpc-timeout} header: up to 8 digits and a unit (H, M, S, m, u, n), the time the caller gives the call
 * (gRPC over HTTP/2, "Requests").
 */
final class GrpcTimeout {
  private GrpcTimeout() {
  }

  /** The timeout in milliseconds, rounded up (a few nanoseconds still give the call its millisecond); -1: none. */
  static long millis(String header) {
    if (header == null) {
      return -1;
    }
    String value = header.trim();
    int digits = value.length() - 1;
    if (digits < 1 || digits > 8) {
      return -1;
    }
    long amount = 0;
    for (int i = 0; i < digits; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      amount = amount * 10 + (c - '0');
    }
    return switch (value.charAt(digits)) {
      case 'H' -> amount * 3_600_000;
      case 'M' -> amount * 60_000;
      case 'S' -> amount * 1_000;
      case 'm' -> amount;
      case 'u' -> (amount + 999) / 1_000;
      case 'n' -> (amount + 999_999) / 1_000_000;
      default -> -1;
    };
  }
}
