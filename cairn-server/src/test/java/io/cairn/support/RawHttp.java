package io.cairn.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for what a well-behaved client will not send (smuggling shapes, dot segments,
 * oversized headers) and for timing one request on a connection that is already open. Requests are written
 * byte for byte as given; answers are read by their Content-Length, chunked, or up to the end of the connection.
 */
public final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /**
   * An answer: status (-1 when the connection ended before a status line), lower-case headers, the body read,
   * whether the body was cut short (the connection ended, or broke, before the length it announced), and
   * whether the connection was found closed after it.
   */
  public record Reply(int status, Map<String, String> headers, byte[] body, boolean truncated, String problem) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      String b = text();
      return status + " " + headers + " " + (b.length() > 300 ? b.substring(0, 300) + "..." : b)
          + (truncated ? " (cut short)" : "") + (problem != null ? " (" + problem + ")" : "");
    }
  }

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A connection to 127.0.0.1:{@code port}, reads timing out after 30 s. */
  public static RawHttp connect(int port) {
    try {
      Socket s = new Socket("127.0.0.1", port);
      s.setSoTimeout(30_000);
      s.setTcpNoDelay(true);
      return new RawHttp(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes these bytes (ISO-8859-1 of the text) at once. */
  public RawHttp send(String request) {
    try {
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends one request on a new connection and reads its answer. */
  public static Reply exchange(int port, String request) {
    try (RawHttp c = connect(port)) {
      return c.send(request).read(false);
    }
  }

  /** Reads one answer (its body too, unless it answers a HEAD). */
  public Reply read(boolean head) {
    Map<String, String> headers = new TreeMap<>();
    int status = -1;
    try {
      String statusLine = line();
      if (statusLine == null) {
        return new Reply(-1, headers, new byte[0], false, "connection closed before a status line");
      }
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        return new Reply(-1, headers, statusLine.getBytes(StandardCharsets.ISO_8859_1), false,
            "not a status line: " + statusLine);
      }
      status = Integer.parseInt(parts[1]);
      String h;
      while ((h = line()) != null && !h.isEmpty()) {
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
              (a, b) -> a + ", " + b);
        }
      }
      if (h == null) {
        return new Reply(status, headers, new byte[0], true, "connection closed in the headers");
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (head || status / 100 == 1 || status == 204 || status == 304) {
        return new Reply(status, headers, new byte[0], false, null);
      }
      String te = headers.get("transfer-encoding");
      String cl = headers.get("content-length");
      if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        while (true) {
          String size = line();
          if (size == null) {
            return new Reply(status, headers, body.toByteArray(), true, "connection closed in a chunked body");
          }
          int n = Integer.parseInt(size.split(";")[0].trim(), 16);
          if (n == 0) {
            while ((h = line()) != null && !h.isEmpty()) {
              // trailers
            }
            return new Reply(status, headers, body.toByteArray(), false, null);
          }
          if (!copy(n, body)) {
            return new Reply(status, headers, body.toByteArray(), true, "connection closed in a chunk");
          }
          line();
        }
      } else if (cl != null) {
        long n = Long.parseLong(cl.split(",")[0].trim());
        boolean whole = copy(n, body);
        return new Reply(status, headers, body.toByteArray(), !whole, whole ? null : "connection closed after "
            + body.size() + " of " + n + " bytes");
      } else {
        in.transferTo(body);
        return new Reply(status, headers, body.toByteArray(), false, null);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer (or no end of it) within 30 s; status " + status + " " + headers, e);
    } catch (IOException e) {
      // reset by the peer: whatever was read is what the client got
      return new Reply(status, headers, new byte[0], status != -1, "connection broke: " + e);
    }
  }

  /** Copies n bytes of the body; false if the connection ended first. */
  private boolean copy(long n, ByteArrayOutputStream to) throws IOException {
    byte[] buf = new byte[8192];
    long left = n;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        return false;
      }
      to.write(buf, 0, r);
      left -= r;
    }
    return true;
  }

  /** A line without its CRLF (or LF), null at the end of the stream. */
  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  /** Whether the other end has closed this connection (read returns the end within {@code millis}). */
  public boolean closedByPeer(int millis) {
    try {
      socket.setSoTimeout(millis);
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
