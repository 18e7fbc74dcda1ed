package io.cairn.dns;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code dig} (Debian's bind9-dnsutils) against a node's DNS port, and what it printed: the status, the
 * header flags and the records of each section.
 */
public final class Dig {
  private static final Pattern STATUS = Pattern.compile("status: ([A-Z]+)");
  private static final Pattern FLAGS = Pattern.compile(";; flags: ([a-z ]+);");

  private Dig() {
  }

  /** One record as dig prints it: owner, TTL, type and data (the rest of the line). */
  public record Rr(String name, long ttl, String type, String data) {
  }

  public record Result(String status, List<String> flags, List<Rr> answer, List<Rr> authority, List<Rr> additional,
                String output) {
    public List<String> data(String type) {
      return answer.stream().filter(r -> r.type().equals(type)).map(Rr::data).toList();
    }

    public boolean truncated() {
      return flags.contains("tc");
    }
  }

  /** {@code dig @127.0.0.1 -p PORT ARGS…} with one try, +norecurse, and every section printed. */
  public static Result query(int port, String... args) {
    List<String> cmd = new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", Integer.toString(port), "+tries=1",
        "+time=10", "+norecurse", "+noall", "+comments", "+answer", "+authority", "+additional"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("dig did not finish: " + cmd);
      }
      return parse(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run dig (apt-get install bind9-dnsutils; ./run.sh test does): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Result parse(String output) {
    String status = null;
    List<String> flags = List.of();
    List<Rr> answer = new ArrayList<>();
    List<Rr> authority = new ArrayList<>();
    List<Rr> additional = new ArrayList<>();
    List<Rr> section = null;
    for (String line : output.split("\n")) {
      Matcher s = STATUS.matcher(line);
      if (s.find()) {
        status = s.group(1);
      }
      Matcher f = FLAGS.matcher(line);
      if (f.find()) {
        flags = List.of(f.group(1).trim().split(" +"));
      }
      if (line.startsWith(";; ANSWER SECTION")) {
        section = answer;
      } else if (line.startsWith(";; AUTHORITY SECTION")) {
        section = authority;
      } else if (line.startsWith(";; ADDITIONAL SECTION")) {
        section = additional;
      } else if (line.isBlank() || line.startsWith(";")) {
        if (line.isBlank()) {
          section = null;
        }
      } else if (section != null) {
        String[] parts = line.trim().split("\\s+", 5);
        section.add(new Rr(parts[0], Long.parseLong(parts[1]), parts[3], parts.length > 4 ? parts[4] : ""));
      }
    }
    if (status == null) {
      throw new IllegalStateException("dig printed no answer:\n" + output);
    }
    return new Result(status, flags, answer, authority, additional, output);
  }

  /** A port free for both UDP and TCP on 127.0.0.1 (the DNS interface takes both). */
  public static int freeDnsPort() {
    while (true) {
      int port = io.cairn.support.TestNodes.freePort();
      try (DatagramSocket s = new DatagramSocket(port, InetAddress.getByName("127.0.0.1"))) {
        return port;
      } catch (IOException inUse) {
        // the next one
      }
    }
  }
}
