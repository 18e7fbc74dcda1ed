package io.cairn.dns;

import io.cairn.api.Access;
import io.cairn.api.RegistryOperations;
import io.cairn.config.DnsSettings;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The DNS interface: UDP and TCP on {@code http.host}:{@code dns.port}, on one event loop. Every packet is answered
 * from the local replica ({@link DnsAnswers}) without blocking; one that cannot be read gets FORMERR, one too short
 * to hold a header (or a response) is dropped. UDP answers are cut to 512 bytes, or the size the client's EDNS0
 * record offers, with TC set; over TCP (length-prefixed messages, several per connection) the whole answer.
 */
public final class DnsVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(DnsVerticle.class);
  /** A TCP connection that sends nothing for this long is closed (RFC 7766 advises seconds, not minutes). */
  private static final int TCP_IDLE_SECONDS = 10;

  private final DnsSettings dns;
  private final String host;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final RegistryOperations ops;
  private DnsAnswers answers;
  private DatagramSocket udp;

  public DnsVerticle(DnsSettings dns, String host, NodeState node, Replica replica, Access access,
                     RegistryOperations ops) {
    this.dns = dns;
    this.host = host;
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.ops = ops;
  }

  @Override
  public void start(Promise<Void> started) {
    answers = new DnsAnswers(dns, node, replica, access, ops);
    int port = dns.port();
    udp = vertx.createDatagramSocket(new DatagramSocketOptions().setIpV6(host.indexOf(':') >= 0));
    udp.handler(this::onDatagram);
    NetServer tcp = vertx.createNetServer(new NetServerOptions().setIdleTimeout(TCP_IDLE_SECONDS)
        .setIdleTimeoutUnit(TimeUnit.SECONDS));
    tcp.connectHandler(this::onConnection);
    Future.all(udp.listen(port, host), tcp.listen(port, host))
        .onSuccess(v -> log.info("DNS on {}:{} (UDP and TCP) for {}", host, port, dns.domain()))
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new IllegalStateException("dns.port " + port + " on " + host
            + " cannot be bound (UDP and TCP): " + e.getMessage() + "; choose another dns.port, or 0 for no DNS", e)))
        .onComplete(started);
  }

  private void onDatagram(DatagramPacket packet) {
    byte[] response = respond(packet.data(), packet.sender().hostAddress(), true);
    if (response != null) {
      udp.send(Buffer.buffer(response), packet.sender().port(), packet.sender().hostAddress());
    }
  }

  /** A TCP connection: messages of two length bytes and that many bytes, answered in order. */
  private void onConnection(NetSocket socket) {
    String remote = socket.remoteAddress().hostAddress();
    Buffer[] pending = {Buffer.buffer()};
    socket.handler(data -> {
      Buffer buf = pending[0].appendBuffer(data);
      int at = 0;
      while (buf.length() - at >= 2) {
        int length = buf.getUnsignedShort(at);
        if (length < DnsWire.HEADER) {
          socket.close(); // no header to answer: nothing sensible follows on this connection
          return;
        }
        if (buf.length() - at - 2 < length) {
          break;
        }
        byte[] response = respond(buf.getBuffer(at + 2, at + 2 + length), remote, false);
        at += 2 + length;
        if (response != null) {
          socket.write(Buffer.buffer(response.length + 2).appendUnsignedShort(response.length).appendBytes(response));
        }
      }
      pending[0] = at == 0 ? buf : buf.getBuffer(at, buf.length());
      if (socket.writeQueueFull()) {
        // A client that sends queries and does not read the answers: read no more of it until it has.
        socket.pause();
        socket.drainHandler(v -> socket.resume());
      }
    });
  }

  /** The response's bytes, or null when the packet gets none. Never throws: a packet must not stop the listener. */
  private byte[] respond(Buffer packet, String remote, boolean udp) {
    ByteBuf in = Unpooled.wrappedBuffer(packet.getBytes());
    DnsWire.Query query = DnsWire.parse(in);
    if (query == null) {
      return null;
    }
    int limit = udp ? query.udpLimit() : DnsWire.MAX_TCP;
    try {
      return DnsWire.encode(query, answers.answer(query, remote), limit);
    } catch (RuntimeException e) {
      log.warn("DNS query {} from {} failed: {}", query.question(), remote, e.toString());
      return DnsWire.encode(query, DnsWire.Reply.error(DnsResponseCode.SERVFAIL.intValue(), false), limit);
    }
  }
}
