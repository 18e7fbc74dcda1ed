package io.cairn.dns;

import io.cairn.support.Http;
import io.cairn.support.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The DNS interface of a real node, asked by the real {@code dig} and by the JDK's own DNS client (JNDI), and fed
 * garbage: what a user of a resolver notices.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsTest {
  private TestNodes cluster;
  private String base;
  private int dns;

  @BeforeAll
  void startNode() {
    dns = Dig.freeDnsPort();
    cluster = new TestNodes(1);
    base = cluster.start(0, new JsonObject().put("dns", new JsonObject().put("port", dns).put("ttl", "5s"))).base();
  }

  @AfterAll
  void stopNode() {
    cluster.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private void register(String id, JsonObject instance) {
    assertThat(Http.put(base + "/v1/services/" + id, instance.encode()).status()).isEqualTo(201);
  }

  private static JsonObject instance(String name, String address, int port) {
    return new JsonObject().put("name", name).put("address", address).put("port", port);
  }

  @Test
  void aServiceAnswersAAaaaAndSrvOfItsInstancesWithPortWeightAndAddressGlue() {
    String name = unique("web");
    register(name + "-1", instance(name, "127.0.0.1", 7001).put("weight", 5));
    register(name + "-2", instance(name, "10.0.0.2", 7002).put("tags", new JsonArray().add("primary")));
    register(name + "-3", instance(name, "::1", 7003));
    register(name + "-4", instance(name, "db.example.org", 7004));

    Dig.Result a = Dig.query(dns, name + ".service.cairn", "A");
    assertThat(a.status()).isEqualTo("NOERROR");
    assertThat(a.flags()).contains("aa").doesNotContain("tc");
    assertThat(a.data("A")).containsExactlyInAnyOrder("127.0.0.1", "10.0.0.2");
    assertThat(a.answer()).allSatisfy(r -> assertThat(r.ttl()).isEqualTo(5));
    assertThat(Dig.query(dns, name + ".service.cairn", "AAAA").data("AAAA")).containsExactly("::1");

    Dig.Result srv = Dig.query(dns, name + ".service.cairn", "SRV");
    assertThat(srv.data("SRV")).containsExactlyInAnyOrder(
        "1 5 7001 7f000001.addr.cairn.", "1 1 7002 0a000002.addr.cairn.",
        "1 1 7003 00000000000000000000000000000001.addr.cairn.", "1 1 7004 db.example.org.");
    assertThat(srv.additional()).extracting(r -> r.name() + " " + r.type() + " " + r.data()).containsExactlyInAnyOrder(
        "7f000001.addr.cairn. A 127.0.0.1", "0a000002.addr.cairn. A 10.0.0.2",
        "00000000000000000000000000000001.addr.cairn. AAAA ::1");
    // A target names its address without a registry lookup.
    assertThat(Dig.query(dns, "0A000002.addr.cairn", "A").data("A")).containsExactly("10.0.0.2");

    // By tag, whatever the case of the question, with or without the trailing dot, and RFC 2782's form.
    assertThat(Dig.query(dns, "primary." + name + ".service.cairn", "A").data("A")).containsExactly("10.0.0.2");
    Dig.Result upper = Dig.query(dns, ("PRIMARY." + name + ".Service.CAIRN.").toUpperCase(), "A");
    assertThat(upper.data("A")).containsExactly("10.0.0.2");
    assertThat(Dig.query(dns, "_" + name + "._primary.service.cairn", "SRV").data("SRV"))
        .containsExactly("1 1 7002 0a000002.addr.cairn.");
    assertThat(Dig.query(dns, "_" + name + "._tcp.service.cairn", "SRV").data("SRV")).hasSize(4);
    // A tag nobody carries is no name at all.
    assertThat(Dig.query(dns, "canary." + name + ".service.cairn", "A").status()).isEqualTo("NXDOMAIN");
  }

  @Test
  void aNodeAnswersItsAddress() {
    Dig.Result node = Dig.query(dns, "n1.node.cairn", "A");
    assertThat(node.status()).isEqualTo("NOERROR");
    assertThat(node.data("A")).containsExactly("127.0.0.1");
    assertThat(Dig.query(dns, "N1.NODE.CAIRN.", "A").data("A")).containsExactly("127.0.0.1");
    assertThat(Dig.query(dns, "n1.node.cairn", "AAAA").answer()).isEmpty();
    assertThat(Dig.query(dns, "no-such-node.node.cairn", "A").status()).isEqualTo("NXDOMAIN");
  }

  @Test
  void unknownNamesAreNxdomainWithTheSoaAndNamesElsewhereAreRefused() {
    Dig.Result unknown = Dig.query(dns, unique("nobody") + ".service.cairn", "A");
    assertThat(unknown.status()).isEqualTo("NXDOMAIN");
    assertThat(unknown.answer()).isEmpty();
    assertThat(unknown.authority()).singleElement().satisfies(soa -> {
      assertThat(soa.name()).isEqualTo("cairn.");
      assertThat(soa.type()).isEqualTo("SOA");
      assertThat(soa.data()).startsWith("ns.cairn. hostmaster.cairn. ").endsWith(" 3600 600 86400 5");
    });
    assertThat(Dig.query(dns, "whatever.cairn", "A").status()).isEqualTo("NXDOMAIN");
    assertThat(Dig.query(dns, "example.com", "A").status()).isEqualTo("REFUSED");
    assertThat(Dig.query(dns, "cairn", "SOA").data("SOA")).hasSize(1);

    // A name that exists, asked for a type it has none of: no answer, no error, the SOA to cache that by.
    String name = unique("mail");
    register(name + "-1", instance(name, "127.0.0.1", 25));
    Dig.Result txt = Dig.query(dns, name + ".service.cairn", "TXT");
    assertThat(txt.status()).isEqualTo("NOERROR");
    assertThat(txt.answer()).isEmpty();
    assertThat(txt.authority()).extracting(Dig.Rr::type).containsExactly("SOA");
  }

  @Test
  void drainedDisabledAndUnhealthyInstancesLeaveTheAnswer() {
    String name = unique("api");
    register(name + "-ok", instance(name, "10.1.0.1", 80));
    register(name + "-drained", instance(name, "10.1.0.2", 80));
    register(name + "-disabled", instance(name, "10.1.0.3", 80));
    register(name + "-silent", instance(name, "10.1.0.4", 80).put("ttl", "1s"));
    // The ttl instance may already have expired on a loaded machine (a second is short): it is asserted gone below.
    assertThat(Dig.query(dns, name + ".service.cairn", "A").data("A"))
        .contains("10.1.0.1", "10.1.0.2", "10.1.0.3");

    assertThat(Http.post(base + "/v1/services/" + name + "-drained/drain", "").status()).isEqualTo(200);
    assertThat(Http.post(base + "/v1/services/" + name + "-disabled/disable", "").status()).isEqualTo(200);
    // The ttl instance sends no heartbeat: the leader marks it unhealthy after a second.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(Dig.query(dns, name + ".service.cairn", "A").data("A")).containsExactly("10.1.0.1"));
    assertThat(Dig.query(dns, name + ".service.cairn", "SRV").data("SRV")).containsExactly("1 1 80 0a010001.addr.cairn.");

    // None passing: the name still exists, with nothing to offer.
    assertThat(Http.post(base + "/v1/services/" + name + "-ok/drain", "").status()).isEqualTo(200);
    Dig.Result none = Dig.query(dns, name + ".service.cairn", "A");
    assertThat(none.status()).isEqualTo("NOERROR");
    assertThat(none.answer()).isEmpty();
  }

  @Test
  void aLargeAnswerIsTruncatedOverUdpWithTcSetAndWholeOverTcp() {
    String name = unique("big");
    JsonArray items = new JsonArray();
    for (int i = 0; i < 60; i++) {
      items.add(instance(name, "10.2." + (i / 250) + "." + (i % 250 + 1), 9000 + i).put("id", name + "-" + i));
    }
    assertThat(Http.post(base + "/v1/services:bulk", items.encode()).status()).isEqualTo(200);

    Dig.Result plain = Dig.query(dns, "+noedns", "+ignore", name + ".service.cairn", "A");
    assertThat(plain.truncated()).isTrue();
    assertThat(plain.answer()).isNotEmpty().hasSizeLessThan(60);
    Dig.Result edns = Dig.query(dns, "+bufsize=1232", "+ignore", name + ".service.cairn", "A");
    assertThat(edns.truncated()).isTrue();
    assertThat(edns.answer()).hasSizeGreaterThan(plain.answer().size()).hasSizeLessThan(60);

    Dig.Result tcp = Dig.query(dns, "+tcp", name + ".service.cairn", "A");
    assertThat(tcp.truncated()).isFalse();
    assertThat(tcp.data("A")).hasSize(60).doesNotHaveDuplicates();
    // dig itself retries over TCP when it sees TC.
    assertThat(Dig.query(dns, "+noedns", name + ".service.cairn", "A").data("A")).hasSize(60);
    Dig.Result srv = Dig.query(dns, "+tcp", name + ".service.cairn", "SRV");
    assertThat(srv.data("SRV")).hasSize(60);
    assertThat(srv.additional()).hasSize(60);

    // The order changes from one answer to the next.
    Set<List<String>> orders = new HashSet<>();
    for (int i = 0; i < 10 && orders.size() < 2; i++) {
      orders.add(Dig.query(dns, "+tcp", name + ".service.cairn", "A").data("A"));
    }
    assertThat(orders).hasSizeGreaterThan(1);
  }

  @Test
  void theJdkResolverFindsServicesAndNodesAndMissesUnknownNames() throws Exception {
    String name = unique("jndi");
    register(name + "-1", instance(name, "10.3.0.1", 8443).put("weight", 7));
    Hashtable<String, String> env = new Hashtable<>();
    env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
    env.put("java.naming.provider.url", "dns://127.0.0.1:" + dns);
    env.put("com.sun.jndi.dns.timeout.initial", "5000");
    env.put("com.sun.jndi.dns.timeout.retries", "2");
    InitialDirContext ctx = new InitialDirContext(env);
    try {
      assertThat(values(ctx.getAttributes(name + ".service.cairn.", new String[] {"A"}).get("A")))
          .containsExactly("10.3.0.1");
      assertThat(values(ctx.getAttributes(name + ".service.cairn.", new String[] {"SRV"}).get("SRV")))
          .containsExactly("1 7 8443 0a030001.addr.cairn.");
      assertThat(values(ctx.getAttributes("n1.node.cairn.", new String[] {"A"}).get("A"))).containsExactly("127.0.0.1");
      assertThatThrownBy(() -> ctx.getAttributes(unique("gone") + ".service.cairn.", new String[] {"A"}))
          .isInstanceOf(NameNotFoundException.class);

      // An answer too large for UDP: the JDK sees TC and asks again over TCP.
      String big = unique("many");
      JsonArray items = new JsonArray();
      for (int i = 0; i < 40; i++) {
        items.add(instance(big, "10.4.0." + (i + 1), 80).put("id", big + "-" + i));
      }
      assertThat(Http.post(base + "/v1/services:bulk", items.encode()).status()).isEqualTo(200);
      assertThat(values(ctx.getAttributes(big + ".service.cairn.", new String[] {"A"}).get("A"))).hasSize(40);
    } finally {
      ctx.close();
    }
  }

  private static List<String> values(Attribute attribute) throws Exception {
    List<String> values = new ArrayList<>();
    if (attribute != null) {
      NamingEnumeration<?> all = attribute.getAll();
      while (all.hasMore()) {
        values.add(String.valueOf(all.next()));
      }
    }
    return values;
  }

  @Test
  void garbageGetsFormerrOrNothingAndTheServerGoesOnAnswering() throws Exception {
    try (DatagramSocket udp = new DatagramSocket()) {
      udp.setSoTimeout(5000);
      InetAddress local = InetAddress.getByName("127.0.0.1");
      // A header that promises a question and stops: FORMERR, with the query's id.
      byte[] cut = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'e'};
      assertThat(udpExchange(udp, local, cut)).satisfies(r -> {
        assertThat(r[0] & 0xFF).isEqualTo(0x12);
        assertThat(r[1] & 0xFF).isEqualTo(0x34);
        assertThat(r[2] & 0x80).as("QR").isNotZero();
        assertThat(r[3] & 0x0F).as("rcode").isEqualTo(1);
      });
      // A compression pointer that points at itself.
      byte[] loop = {0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
      assertThat(udpExchange(udp, local, loop)[3] & 0x0F).isEqualTo(1);
      // Two questions: FORMERR. An opcode other than QUERY (2, STATUS): NOTIMP.
      byte[] two = {0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
      assertThat(udpExchange(udp, local, two)[3] & 0x0F).isEqualTo(1);
      byte[] status = {0, 9, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0};
      assertThat(udpExchange(udp, local, status)[3] & 0x0F).isEqualTo(4);
      // Random bytes of every length: each gets FORMERR or nothing; none stops the listener.
      java.util.Random random = new java.util.Random(15);
      for (int i = 0; i < 200; i++) {
        byte[] junk = new byte[random.nextInt(80)];
        random.nextBytes(junk);
        udp.send(new DatagramPacket(junk, junk.length, local, dns));
      }
      // Too short for a header, or a response: dropped.
      udp.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, local, dns));
      byte[] response = {0, 10, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0};
      udp.send(new DatagramPacket(response, response.length, local, dns));
    }
    try (Socket tcp = new Socket("127.0.0.1", dns)) {
      tcp.setSoTimeout(5000);
      OutputStream out = tcp.getOutputStream();
      DataInputStream in = new DataInputStream(tcp.getInputStream());
      byte[] cut = {0x56, 0x78, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'e'};
      out.write(new byte[] {0, (byte) cut.length});
      out.write(cut);
      out.flush();
      byte[] reply = new byte[in.readUnsignedShort()];
      in.readFully(reply);
      assertThat(reply[0] & 0xFF).isEqualTo(0x56);
      assertThat(reply[3] & 0x0F).isEqualTo(1);
      // A length too short for a header: the connection is closed.
      out.write(new byte[] {0, 3, 1, 2, 3});
      out.flush();
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThat(Dig.query(dns, "n1.node.cairn", "A").data("A")).containsExactly("127.0.0.1");
    assertThat(Dig.query(dns, "+tcp", "n1.node.cairn", "A").data("A")).containsExactly("127.0.0.1");
  }

  /** Sends a datagram and answers the reply; fails when none comes (drops are checked by the server answering on). */
  private byte[] udpExchange(DatagramSocket udp, InetAddress to, byte[] query) throws Exception {
    udp.send(new DatagramPacket(query, query.length, to, dns));
    byte[] buf = new byte[4096];
    DatagramPacket reply = new DatagramPacket(buf, buf.length);
    while (true) {
      try {
        udp.receive(reply);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no answer to a malformed query", e);
      }
      if (reply.getLength() >= 2 && buf[0] == query[0] && buf[1] == query[1]) {
        return java.util.Arrays.copyOf(buf, reply.getLength());
      }
    }
  }
}
