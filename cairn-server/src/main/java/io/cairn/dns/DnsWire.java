package io.cairn.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsRecordEncoder;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * DNS messages on the wire: a query read with netty's record decoder, a response written with its record encoder,
 * cut to what the transport carries. Netty's message codecs ({@code DatagramDnsQueryDecoder} and the rest) are
 * channel handlers; the node's listeners are Vert.x's, so this reads and writes the 12-byte header itself and leaves
 * names, questions and records to netty.
 */
final class DnsWire {
  static final int HEADER = 12;
  /** What a UDP answer may take without EDNS0 (RFC 1035), and the most Cairn sends when a client offers more. */
  static final int MIN_UDP = 512;
  static final int MAX_UDP = 4096;
  /** A DNS message over TCP carries its length in two bytes. */
  static final int MAX_TCP = 65_535;
  static final int CLASS_IN = 1;
  static final int CLASS_ANY = 255;
  static final int BADVERS = 16;

  private static final Encoder ENCODER = new Encoder();

  private DnsWire() {
  }

  /**
   * A query as far as it could be read. {@code rcode} is {@link DnsResponseCode#NOERROR} for one to answer, or the
   * error it gets (FORMERR, NOTIMP, BADVERS) without looking further; {@code question} is null when none could be
   * read. {@code udpLimit} is the most a UDP answer may take: 512, or the size the client's EDNS0 OPT record offers.
   */
  record Query(int id, int opcode, boolean recursionDesired, DnsQuestion question, boolean edns, int udpLimit,
               int rcode) {
    Query withError(int error) {
      return new Query(id, opcode, recursionDesired, question, edns, udpLimit, error);
    }
  }

  /** One resource record: owner name, type, TTL (seconds) and its data in wire form. */
  record Rr(String name, DnsRecordType type, long ttl, byte[] data) {
  }

  /** What to answer: a response code, whether authoritative, and the three sections. */
  record Reply(int rcode, boolean authoritative, List<Rr> answers, List<Rr> authority, List<Rr> additional) {
    static Reply error(int rcode, boolean authoritative) {
      return new Reply(rcode, authoritative, List.of(), List.of(), List.of());
    }
  }

  /**
   * Reads a query, or answers null when there is nothing to answer: shorter than a header (no id to answer with), or
   * a response (answering those could loop between two servers).
   */
  static Query parse(ByteBuf in) {
    if (in.readableBytes() < HEADER) {
      return null;
    }
    int id = in.readUnsignedShort();
    int flags = in.readUnsignedShort();
    int questions = in.readUnsignedShort();
    int answers = in.readUnsignedShort();
    int authority = in.readUnsignedShort();
    int additional = in.readUnsignedShort();
    if ((flags & 0x8000) != 0) {
      return null;
    }
    int opcode = (flags >> 11) & 0xF;
    boolean rd = (flags & 0x0100) != 0;
    Query query = new Query(id, opcode, rd, null, false, MIN_UDP, DnsResponseCode.NOERROR.intValue());
    if (opcode != 0) {
      return query.withError(DnsResponseCode.NOTIMP.intValue());
    }
    if (questions != 1) {
      return query.withError(DnsResponseCode.FORMERR.intValue());
    }
    DnsQuestion question;
    try {
      question = DnsRecordDecoder.DEFAULT.decodeQuestion(in);
    } catch (Exception | AssertionError e) {
      return query.withError(DnsResponseCode.FORMERR.intValue());
    }
    query = new Query(id, opcode, rd, question, false, MIN_UDP, DnsResponseCode.NOERROR.intValue());
    try {
      for (int i = 0; i < answers + authority; i++) {
        release(record(in));
      }
      boolean edns = false;
      int udpLimit = MIN_UDP;
      int rcode = DnsResponseCode.NOERROR.intValue();
      for (int i = 0; i < additional; i++) {
        DnsRecord r = record(in);
        try {
          if (r.type() == DnsRecordType.OPT) {
            if (edns) {
              return query.withError(DnsResponseCode.FORMERR.intValue()); // RFC 6891: at most one OPT record
            }
            edns = true;
            udpLimit = Math.max(MIN_UDP, Math.min(MAX_UDP, r.dnsClass()));
            if (((r.timeToLive() >> 16) & 0xFF) != 0) {
              rcode = BADVERS; // only EDNS version 0 exists
            }
          }
        } finally {
          release(r);
        }
      }
      return new Query(id, opcode, rd, question, edns, udpLimit, rcode);
    } catch (Exception | AssertionError e) {
      return query.withError(DnsResponseCode.FORMERR.intValue());
    }
  }

  /** A record, or FORMERR's exception when the packet ends inside it (netty answers null then). */
  private static DnsRecord record(ByteBuf in) throws Exception {
    DnsRecord r = DnsRecordDecoder.DEFAULT.decodeRecord(in);
    if (r == null) {
      throw new IllegalArgumentException("the message ends inside a record");
    }
    return r;
  }

  private static void release(Object o) {
    ReferenceCountUtil.release(o);
  }

  /**
   * The response to {@code query}, at most {@code limit} bytes. Answers that do not all fit are cut at a whole
   * record and the TC bit set (the client asks again over TCP); additional records that do not fit are left out
   * without it (RFC 2181 9: they are a courtesy). The OPT record of an EDNS0 query is always answered.
   */
  static byte[] encode(Query query, Reply reply, int limit) {
    ByteBuf questionBytes = Unpooled.buffer();
    try {
      if (query.question() != null) {
        ENCODER.encodeQuestion(query.question(), questionBytes);
      }
      byte[] opt = query.edns() ? opt(reply.rcode()) : new byte[0];
      Packer packer = new Packer(limit - HEADER - questionBytes.readableBytes() - opt.length);
      List<byte[]> answers = packer.take(reply.answers(), true);
      List<byte[]> authority = packer.take(reply.authority(), true);
      List<byte[]> additional = packer.take(reply.additional(), false);
      boolean truncated = packer.truncated;
      ByteBuf out = Unpooled.buffer(limit - packer.budget);
      int flags = 0x8000 | (query.opcode() << 11) | (reply.authoritative() ? 0x0400 : 0) | (truncated ? 0x0200 : 0)
          | (query.recursionDesired() ? 0x0100 : 0) | (reply.rcode() & 0xF);
      out.writeShort(query.id()).writeShort(flags)
          .writeShort(query.question() == null ? 0 : 1).writeShort(answers.size()).writeShort(authority.size())
          .writeShort(additional.size() + (opt.length > 0 ? 1 : 0));
      out.writeBytes(questionBytes);
      answers.forEach(out::writeBytes);
      authority.forEach(out::writeBytes);
      additional.forEach(out::writeBytes);
      out.writeBytes(opt);
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      return bytes;
    } catch (Exception e) {
      throw new IllegalStateException("cannot encode a DNS response: " + e.getMessage(), e);
    } finally {
      questionBytes.release();
    }
  }

  /** Fills a response up to its size: whole records, section after section, until one that must be there does not fit. */
  private static final class Packer {
    int budget;
    boolean truncated;

    Packer(int budget) {
      this.budget = budget;
    }

    /**
     * The records of one section that fit. A {@code required} section cut short truncates the response (and takes
     * nothing from later sections); from the additional section, records that do not fit are only left out.
     */
    List<byte[]> take(List<Rr> records, boolean required) {
      List<byte[]> taken = new ArrayList<>();
      for (Rr rr : records) {
        if (truncated) {
          break;
        }
        byte[] b = ENCODER.record(rr);
        if (b.length <= budget) {
          budget -= b.length;
          taken.add(b);
        } else if (required) {
          truncated = true;
        }
      }
      return taken;
    }
  }

  /** Our OPT record: the UDP size we take, the upper bits of an extended response code, version 0, no options. */
  private static byte[] opt(int rcode) {
    ByteBuf b = Unpooled.buffer(11);
    b.writeByte(0).writeShort(DnsRecordType.OPT.intValue()).writeShort(MAX_UDP)
        .writeInt(((rcode >> 4) & 0xFF) << 24).writeShort(0);
    return b.array();
  }

  /** Data of an SRV record (RFC 2782): priority, weight, port, target (never compressed). */
  static byte[] srv(int priority, int weight, int port, String target) {
    return data(b -> {
      b.writeShort(priority).writeShort(weight).writeShort(port);
      ENCODER.name(target, b);
    });
  }

  /** Data of a CNAME record: the canonical name. */
  static byte[] name(String target) {
    return data(b -> ENCODER.name(target, b));
  }

  /** Data of an SOA record. */
  static byte[] soa(String primary, String mailbox, long serial, int refresh, int retry, int expire, int minimum) {
    return data(b -> {
      ENCODER.name(primary, b);
      ENCODER.name(mailbox, b);
      b.writeInt((int) serial).writeInt(refresh).writeInt(retry).writeInt(expire).writeInt(minimum);
    });
  }

  /** The bytes {@code write} puts in a buffer. */
  private static byte[] data(Consumer<ByteBuf> write) {
    ByteBuf b = Unpooled.buffer();
    try {
      write.accept(b);
      return bytes(b);
    } finally {
      b.release();
    }
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] bytes = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), bytes);
    return bytes;
  }

  /** Netty's record encoder, with its name encoding opened up for the names inside SRV, CNAME and SOA data. */
  private static final class Encoder extends DefaultDnsRecordEncoder {
    void name(String name, ByteBuf out) {
      try {
        encodeName(name, out);
      } catch (Exception e) {
        throw new IllegalArgumentException("not a DNS name: " + name, e);
      }
    }

    byte[] record(Rr rr) {
      ByteBuf out = Unpooled.buffer();
      DefaultDnsRawRecord raw = new DefaultDnsRawRecord(rr.name(), rr.type(), CLASS_IN, rr.ttl(),
          Unpooled.wrappedBuffer(rr.data()));
      try {
        encodeRecord(raw, out);
        return bytes(out);
      } catch (Exception e) {
        throw new IllegalStateException("cannot encode " + rr.type() + " " + rr.name() + ": " + e.getMessage(), e);
      } finally {
        raw.release();
        out.release();
      }
    }
  }
}
