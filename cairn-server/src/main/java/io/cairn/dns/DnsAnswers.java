package io.cairn.dns;

import io.cairn.api.Access;
import io.cairn.api.Action;
import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.config.DnsSettings;
import io.cairn.model.NodeInfo;
import io.cairn.model.Registrations;
import io.cairn.model.ServiceEntry;
import io.cairn.model.StatusFilter;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.util.NetUtil;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * What a DNS question is answered with, from this node's replica through the same operations and access decisions
 * as REST discovery. Names under the domain:
 * <ul>
 *   <li>{@code NAME.service.DOMAIN}: A, AAAA, SRV of the passing instances of NAME (REST's default status filter);
 *   <li>{@code TAG.NAME.service.DOMAIN} and {@code _NAME._TAG.service.DOMAIN} (RFC 2782; {@code _tcp}, {@code _udp}:
 *       any tag): those that also carry TAG (compared without regard to case);
 *   <li>{@code NODE.node.DOMAIN}: the address of Cairn node NODE;
 *   <li>{@code HEX.addr.DOMAIN}: the IPv4 (8 hex digits) or IPv6 (32) address an SRV target stands for;
 *   <li>{@code DOMAIN}: its SOA record.
 * </ul>
 * The caller is anonymous (DNS carries no credentials): a name it may not read is REFUSED.
 */
final class DnsAnswers {
  private static final int REFUSED = DnsResponseCode.REFUSED.intValue();
  private static final int NXDOMAIN = DnsResponseCode.NXDOMAIN.intValue();
  private static final int SERVFAIL = DnsResponseCode.SERVFAIL.intValue();
  private static final int NOERROR = DnsResponseCode.NOERROR.intValue();
  /** A host name an SRV or CNAME record may point at: labels of at most 63 characters, 253 in all. */
  private static final Pattern HOST_NAME = Pattern.compile(
      "(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*");

  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final RegistryOperations ops;
  private final String domain;
  private final String suffix;
  private final long ttl;
  private final boolean refuseWhenBehind;

  DnsAnswers(DnsSettings dns, NodeState node, Replica replica, Access access, RegistryOperations ops) {
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.ops = ops;
    this.domain = dns.domain();
    this.suffix = "." + domain;
    this.ttl = dns.ttlSeconds();
    this.refuseWhenBehind = dns.refuseWhenBehind();
  }

  /**
   * The reply to a query parse() could read; {@code remote} is the client's address. A node that is not current
   * (cut off, unable to write its log, behind the leader) answers from its replica as from a cache: not
   * authoritative, with nothing to keep (TTL 0); or, with dns.whenBehind: refuse, SERVFAIL, so that the resolver
   * asks another node.
   */
  DnsWire.Reply answer(DnsWire.Query query, String remote) {
    DnsWire.Reply reply = answerFromReplica(query, remote);
    if (node.current() || !reply.authoritative()) {
      return reply;
    }
    if (refuseWhenBehind) {
      return DnsWire.Reply.error(SERVFAIL, false);
    }
    return new DnsWire.Reply(reply.rcode(), false, uncached(reply.answers()), uncached(reply.authority()),
        uncached(reply.additional()));
  }

  private static List<DnsWire.Rr> uncached(List<DnsWire.Rr> records) {
    return records.stream().map(rr -> new DnsWire.Rr(rr.name(), rr.type(), 0, rr.data())).toList();
  }

  private DnsWire.Reply answerFromReplica(DnsWire.Query query, String remote) {
    if (query.rcode() != NOERROR || query.question() == null) {
      return DnsWire.Reply.error(query.rcode(), false);
    }
    int qclass = query.question().dnsClass();
    if (qclass != DnsWire.CLASS_IN && qclass != DnsWire.CLASS_ANY) {
      return DnsWire.Reply.error(REFUSED, false);
    }
    String asked = query.question().name();
    String name = asked.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    String rest;
    if (name.equals(domain)) {
      rest = "";
    } else if (name.endsWith(suffix)) {
      rest = name.substring(0, name.length() - suffix.length());
    } else {
      return DnsWire.Reply.error(REFUSED, false); // not ours, and Cairn does not recurse
    }
    if (!node.ready()) {
      return DnsWire.Reply.error(SERVFAIL, false);
    }
    Caller caller = Caller.anonymous(remote);
    DnsRecordType type = query.question().type();
    if (type == DnsRecordType.AXFR || type == DnsRecordType.IXFR) {
      return DnsWire.Reply.error(REFUSED, true); // no zone transfers
    }
    if (rest.isEmpty()) {
      return type == DnsRecordType.SOA || type == DnsRecordType.ANY
          ? reply(List.of(soaRecord(asked)), List.of()) : noData();
    }
    List<String> labels = List.of(rest.split("\\.", -1));
    if (labels.contains("")) {
      return nxDomain();
    }
    String kind = labels.get(labels.size() - 1);
    List<String> prefix = labels.subList(0, labels.size() - 1);
    if (prefix.isEmpty()) {
      return nxDomain();
    }
    switch (kind) {
      case "service":
        return service(caller, asked, type, prefix);
      case "node":
        return node(caller, asked, type, String.join(".", prefix));
      case "addr":
        return prefix.size() == 1 ? addr(asked, type, prefix.get(0)) : nxDomain();
      default:
        return nxDomain();
    }
  }

  /** A name and, for a tag lookup, the tag: one way to read the labels before {@code service}. */
  private record Candidate(String name, String tag) {
  }

  private DnsWire.Reply service(Caller caller, String asked, DnsRecordType type, List<String> prefix) {
    List<Candidate> candidates = new ArrayList<>();
    if (prefix.size() == 2 && prefix.get(0).startsWith("_") && prefix.get(1).startsWith("_")) {
      String tag = prefix.get(1).substring(1);
      boolean anyTag = tag.equals("tcp") || tag.equals("udp");
      candidates.add(new Candidate(prefix.get(0).substring(1), anyTag ? null : tag));
    } else {
      // A service name may hold dots: the whole prefix as a name first, then its first label as a tag.
      candidates.add(new Candidate(String.join(".", prefix), null));
      if (prefix.size() > 1) {
        candidates.add(new Candidate(String.join(".", prefix.subList(1, prefix.size())), prefix.get(0)));
      }
    }
    boolean refused = false;
    for (Candidate c : candidates) {
      if (!Registrations.validName(c.name())) {
        continue;
      }
      if (!ops.mayDiscover(caller, c.name())) {
        refused = true;
        continue;
      }
      List<ServiceEntry> all;
      try {
        all = ops.instancesOf(caller, "dns", c.name());
      } catch (ApiException e) { // the policy changed between the two questions
        refused = true;
        continue;
      }
      List<ServiceEntry> tagged = c.tag() == null ? all
          : all.stream().filter(e -> e.hasTagIgnoringCase(c.tag())).toList();
      if (!tagged.isEmpty()) {
        return instances(asked, type, tagged.stream().filter(StatusFilter.PASSING::matches).toList());
      }
    }
    return refused ? DnsWire.Reply.error(REFUSED, true) : nxDomain();
  }

  private DnsWire.Reply instances(String asked, DnsRecordType type, List<ServiceEntry> passing) {
    List<DnsWire.Rr> answers = new ArrayList<>();
    List<DnsWire.Rr> additional = new ArrayList<>();
    for (ServiceEntry e : passing) {
      byte[] ip = ip(e.address());
      if (type == DnsRecordType.SRV) {
        String target = ip != null ? addrName(ip) : hostTarget(e.address());
        if (target != null) {
          answers.add(new DnsWire.Rr(asked, DnsRecordType.SRV, ttl,
              DnsWire.srv(1, Math.min(e.weight(), 65_535), e.port(), target)));
          if (ip != null) {
            additional.add(address(target, ip));
          }
        }
      } else if (ip != null && wants(type, ip)) {
        answers.add(address(asked, ip));
      }
    }
    Collections.shuffle(answers, ThreadLocalRandom.current());
    return answers.isEmpty() ? noData() : reply(answers, additional);
  }

  private DnsWire.Reply node(Caller caller, String asked, DnsRecordType type, String id) {
    if (!access.allowed(caller, Access.CLUSTER, Action.READ)) {
      return DnsWire.Reply.error(REFUSED, true);
    }
    NodeInfo found = null;
    for (NodeInfo n : replica.nodes().values()) {
      if (n.id().equalsIgnoreCase(id)) {
        found = n;
        break;
      }
    }
    if (found == null) {
      return nxDomain();
    }
    if (!found.alive()) {
      return noData();
    }
    byte[] ip = ip(found.host());
    if (ip != null) {
      return wants(type, ip) ? reply(List.of(address(asked, ip)), List.of()) : noData();
    }
    String target = hostTarget(found.host());
    boolean addressType = type == DnsRecordType.A || type == DnsRecordType.AAAA || type == DnsRecordType.ANY
        || type == DnsRecordType.CNAME;
    return target != null && addressType
        ? reply(List.of(new DnsWire.Rr(asked, DnsRecordType.CNAME, ttl, DnsWire.name(target))), List.of())
        : noData();
  }

  private DnsWire.Reply addr(String asked, DnsRecordType type, String hex) {
    if ((hex.length() != 8 && hex.length() != 32) || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      return nxDomain();
    }
    byte[] ip = HexFormat.of().parseHex(hex);
    return wants(type, ip) ? reply(List.of(address(asked, ip)), List.of()) : noData();
  }

  /** Whether a question of this type is answered by this address (A for IPv4, AAAA for IPv6, both for ANY). */
  private static boolean wants(DnsRecordType type, byte[] ip) {
    return type == DnsRecordType.ANY || (ip.length == 4 ? type == DnsRecordType.A : type == DnsRecordType.AAAA);
  }

  private DnsWire.Rr address(String owner, byte[] ip) {
    return new DnsWire.Rr(owner, ip.length == 4 ? DnsRecordType.A : DnsRecordType.AAAA, ttl, ip);
  }

  /** {@code 7f000001.addr.DOMAIN.}: an SRV target that names an IP address, answered without a lookup. */
  private String addrName(byte[] ip) {
    return HexFormat.of().formatHex(ip) + ".addr." + domain + ".";
  }

  /** An instance's host name as an absolute SRV or CNAME target, or null when it cannot be one. */
  private static String hostTarget(String host) {
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    return HOST_NAME.matcher(h).matches() ? h + "." : null;
  }

  /** The address's bytes (4 or 16), or null for a host name. */
  private static byte[] ip(String address) {
    if (NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)) {
      return NetUtil.createByteArrayFromIpAddressString(address);
    }
    return null;
  }

  private DnsWire.Reply reply(List<DnsWire.Rr> answers, List<DnsWire.Rr> additional) {
    return new DnsWire.Reply(NOERROR, true, answers, List.of(), additional);
  }

  /** The name exists, with nothing of the asked type: NOERROR, no answer, the SOA for negative caching. */
  private DnsWire.Reply noData() {
    return new DnsWire.Reply(NOERROR, true, List.of(), List.of(soaRecord(domain + ".")), List.of());
  }

  private DnsWire.Reply nxDomain() {
    return new DnsWire.Reply(NXDOMAIN, true, List.of(), List.of(soaRecord(domain + ".")), List.of());
  }

  /**
   * The zone's SOA: serial the replica's revision (low 32 bits), its minimum (how long a resolver keeps a negative
   * answer, RFC 2308) and TTL both {@code dns.ttl}.
   */
  private DnsWire.Rr soaRecord(String owner) {
    return new DnsWire.Rr(owner, DnsRecordType.SOA, ttl, DnsWire.soa("ns." + domain + ".", "hostmaster." + domain + ".",
        replica.revision() & 0xFFFFFFFFL, 3600, 600, 86_400, (int) ttl));
  }
}
