package io.cairn.config;

import java.util.Locale;

/**
 * The {@code dns} section: the DNS interface (UDP and TCP) on http.host.
 *
 * @param port             0: off
 * @param domain           the zone answered for, in lower case, without leading or trailing dots
 * @param ttlSeconds       the TTL of answers, and of negative answers (the SOA minimum)
 * @param refuseWhenBehind dns.whenBehind: refuse (SERVFAIL) rather than answer from the replica (not authoritative,
 *                         TTL 0)
 */
public record DnsSettings(int port, String domain, int ttlSeconds, boolean refuseWhenBehind) {
  private static final String NAME = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*";

  /** Validates here rather than in the constructor because the messages quote dns.domain and dns.ttl as written. */
  static DnsSettings from(ConfigReader r) {
    String whenBehind = r.string("whenBehind").trim().toLowerCase(Locale.ROOT);
    if (!whenBehind.equals("answer") && !whenBehind.equals("refuse")) {
      throw new IllegalArgumentException("dns.whenBehind: answer or refuse, not '" + whenBehind + "'");
    }
    int port = r.integer("port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dns.port must be 0 (off) or a port");
    }
    String domain = r.string("domain").trim().toLowerCase(Locale.ROOT);
    while (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    while (domain.startsWith(".")) {
      domain = domain.substring(1);
    }
    if (domain.isEmpty() || domain.length() > 200 || !domain.matches(NAME)) {
      throw new IllegalArgumentException("dns.domain must be a DNS name (labels of letters, digits and -, at most "
          + "200 characters), not '" + r.string("domain") + "'");
    }
    long ttl = r.duration("ttl");
    if (ttl % 1000 != 0 || ttl / 1000 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("dns.ttl is whole seconds (0s, 5s, 1m)");
    }
    return new DnsSettings(port, domain, (int) (ttl / 1000), whenBehind.equals("refuse"));
  }
}
