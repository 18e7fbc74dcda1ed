package io.cairn.gateway;

import java.util.ArrayList;
import java.util.List;

/**
 * The one spelling of a request's path that routes match on and upstreams receive, so that a route's prefix is a
 * boundary: no dot segment, plain or percent-encoded, is left for an upstream to resolve above the prefix a route
 * rewrote.
 */
public final class Paths {
  private Paths() {
  }

  /**
   * The path with {@code %2e} decoded (it is the unreserved '.', RFC 3986 6.2.2.2) and its "." and ".." segments
   * removed (RFC 3986 5.2.4); duplicate slashes are kept and other escapes are left as they are, forwarded verbatim.
   * Null, so the request is refused, when the path is not origin-form (does not start with '/'), holds a control
   * character or a backslash, an encoded slash, backslash or NUL ({@code %2f %5c %00}, which upstreams disagree on),
   * a ".." that would climb above the root, or a dot segment with parameters ({@code /..;/}, which some servers
   * resolve as "..").
   */
  public static String normalize(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
      return null;
    }
    boolean clean = true;
    for (int i = 0; i < rawPath.length(); i++) {
      char c = rawPath.charAt(i);
      if (Character.isISOControl(c) || c == '\\') {
        return null;
      }
      if (c == '%' && i + 2 < rawPath.length()) {
        char h = rawPath.charAt(i + 1);
        char l = Character.toLowerCase(rawPath.charAt(i + 2));
        if ((h == '2' && l == 'f') || (h == '5' && l == 'c') || (h == '0' && l == '0')) {
          return null;
        }
        clean &= !(h == '2' && l == 'e');
      } else if (c == '.' && rawPath.charAt(i - 1) == '/') {
        clean = false;
      }
    }
    // Most paths have neither escaped dots nor segments starting with one: they go through as they came.
    return clean ? rawPath : resolveDots(rawPath.replace("%2e", ".").replace("%2E", "."));
  }

  private static String resolveDots(String path) {
    String[] segments = path.substring(1).split("/", -1);
    List<String> out = new ArrayList<>(segments.length);
    for (String segment : segments) {
      String bare = withoutParameters(segment);
      if (bare.equals(".") || bare.equals("..")) {
        if (bare.length() != segment.length()) {
          return null;
        }
        if (bare.equals("..")) {
          if (out.isEmpty()) {
            return null;
          }
          out.remove(out.size() - 1);
        }
      } else {
        out.add(segment);
      }
    }
    // A path ending in a dot segment names a directory: "/a/b/.." is "/a/", as RFC 3986 resolves it.
    String last = segments[segments.length - 1];
    if (last.equals(".") || last.equals("..")) {
      out.add("");
    }
    return "/" + String.join("/", out);
  }

  private static String withoutParameters(String segment) {
    int semicolon = segment.indexOf(';');
    return semicolon < 0 ? segment : segment.substring(0, semicolon);
  }
}
