package io.cairn.config;

import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a health check may connect ({@code checks.allowedTargets}). A check reaches its instance: TCP and gRPC
 * checks connect to the instance's address and port, an http check too unless its {@code url} names another host;
 * such a url, and an instance at a link-local or cloud metadata address, are refused unless the operator listed the
 * host. Otherwise whoever may register could make a node fetch any URL every second (a metadata service, an admin
 * page on the node's network) and read its status line back in the check's output.
 *
 * <p>Host names are compared as written and never resolved: a check is judged when it is registered, on the event
 * loop, and a name that resolves elsewhere tomorrow would pass today.
 */
public final class CheckTargets {
  /** Names that cloud platforms serve instance metadata (and credentials) under. */
  private static final Set<String> METADATA_NAMES = Set.of("metadata", "metadata.google.internal",
      "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.com", "metadata.tencentyun.com");
  /** Link-local ranges (169.254.169.254, AWS' fd00:ec2::254 lies outside them) and other metadata addresses. */
  private static final List<Cidr> SENSITIVE = List.of(cidr("169.254.0.0/16"), cidr("fe80::/10"),
      cidr("fd00:ec2::254/128"), cidr("100.100.100.200/32"));
  /** A host written as a number in another form than a plain address (2852039166, 0xA9FEA9FE, 0251.0376...). */
  private static final Pattern NUMERIC_HOST = Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+))*");

  private final List<Cidr> cidrs = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  /**
   * @param entries CIDRs, plain addresses and host names ({@code *.example.org} for its subdomains)
   * @throws IllegalArgumentException naming checks.allowedTargets for an entry that is none of these
   */
  public CheckTargets(List<String> entries) {
    for (String raw : entries) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      String host = entry.contains("/") ? entry.substring(0, entry.indexOf('/')) : entry;
      if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
        cidrs.add(cidr(entry.contains("/") ? entry : entry + "/" + (host.contains(":") ? 128 : 32)));
      } else if (entry.matches("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
        names.add(entry);
      } else {
        throw new IllegalArgumentException("checks.allowedTargets: '" + raw + "' is neither a CIDR, an address nor "
            + "a host name");
      }
    }
  }

  /**
   * Why this instance's check may not run as registered, or null when it may.
   *
   * @return a message naming the refused host and checks.allowedTargets
   */
  public Refusal refusal(ServiceEntry instance) {
    Check check = instance.check();
    if (check == null || check.type().equals(Check.TTL)) {
      return null;
    }
    if (check.url() == null) {
      return sensitive(instance.address()) && !listed(instance.address())
          ? new Refusal("address", "the instance's address " + instance.address() + " is a link-local or cloud "
          + "metadata address; a check may reach it only when checks.allowedTargets lists it") : null;
    }
    URI url;
    try {
      url = new URI(check.url());
    } catch (URISyntaxException e) {
      return new Refusal("check.url", "check.url is not a valid URL: " + e.getMessage());
    }
    String host = url.getHost();
    if (host == null) {
      return new Refusal("check.url", "check.url names no host that can be held to checks.allowedTargets");
    }
    host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    int port = url.getPort() >= 0 ? url.getPort() : check.url().startsWith("https:") ? 443 : 80;
    if (listed(host)) {
      return null;
    }
    if (sensitive(host)) {
      return new Refusal("check.url", "check.url names " + host + ", a link-local or cloud metadata address; a "
          + "check may reach it only when checks.allowedTargets lists it");
    }
    if (sameHost(host, instance.address()) && port == instance.port()) {
      return null;
    }
    return new Refusal("check.url", "check.url names " + host + ":" + port + ", not the instance's own address and "
        + "port (" + instance.address() + ":" + instance.port() + "); a check may reach another host only when "
        + "checks.allowedTargets lists it (or give a path instead of a url)");
  }

  /**
   * Whether a check may connect to {@code resolved}, the address {@code name} resolved to when the check ran: not a
   * link-local or metadata address, unless the operator listed the name or the address.
   */
  public boolean allowsResolved(String name, InetAddress resolved) {
    String literal = resolved.getHostAddress();
    return listed(name) || isAddress(literal) && (listed(literal) || !sensitive(literal));
  }

  /** Whether {@code host} is an address rather than a name (IPv6 with or without brackets, as URLs write it). */
  public static boolean isAddress(String host) {
    return address(host) != null;
  }

  /** A refused check: the field to name in the error, and why. */
  public record Refusal(String field, String message) {
  }

  private boolean listed(String host) {
    byte[] address = address(host);
    if (address != null) {
      return cidrs.stream().anyMatch(c -> c.contains(address));
    }
    String name = host.toLowerCase(Locale.ROOT);
    return names.stream().anyMatch(n -> n.startsWith("*.") ? name.endsWith(n.substring(1)) : n.equals(name));
  }

  private static boolean sensitive(String host) {
    byte[] address = address(host);
    if (address != null) {
      return SENSITIVE.stream().anyMatch(c -> c.contains(address));
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    // A number that is not a plain address may still reach one (inet_aton reads 2852039166 as 169.254.169.254).
    return METADATA_NAMES.contains(name) || NUMERIC_HOST.matcher(name).matches();
  }

  private static boolean sameHost(String a, String b) {
    byte[] x = address(a);
    byte[] y = address(b);
    return x != null || y != null ? x != null && y != null && Arrays.equals(x, y) : a.equalsIgnoreCase(b);
  }

  /** The address a literal names (IPv4-mapped IPv6 as IPv4), or null for a host name. */
  private static byte[] address(String host) {
    String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes).getAddress();
    } catch (UnknownHostException impossible) {
      return null;
    }
  }

  private static Cidr cidr(String text) {
    int slash = text.indexOf('/');
    byte[] network = address(text.substring(0, slash));
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      prefix = -1;
    }
    if (network == null || prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException("checks.allowedTargets: '" + text + "' is not a valid CIDR");
    }
    return new Cidr(network, prefix);
  }

  private record Cidr(byte[] network, int prefix) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
