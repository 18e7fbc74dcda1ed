package io.cairn.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a command prints what it got: a table for people ({@code wide} adds columns), JSON or YAML for programs. The
 * JSON is the REST API's shape of the same things, so a script can move between curl and cairn.
 */
final class Output {
  enum Format { table, wide, json, yaml }

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table, wide, json or yaml (default: ${DEFAULT-VALUE}).")
  Format format = Format.table;

  boolean structured() {
    return format == Format.json || format == Format.yaml;
  }

  boolean wide() {
    return format == Format.wide;
  }

  /** Prints {@code value} (a JsonObject or JsonArray) as JSON or YAML, or {@code table} for the other formats. */
  void print(PrintWriter out, Object value, Table table) {
    switch (format) {
      case json -> out.println(value instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) value).encodePrettily());
      case yaml -> out.print(yaml(value));
      default -> table.print(out);
    }
    out.flush();
  }

  static String yaml(Object value) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndicatorIndent(0);
    return new Yaml(options).dump(plain(value));
  }

  /** Vert.x JSON as plain maps and lists, which SnakeYAML writes without type tags. */
  private static Object plain(Object value) {
    if (value instanceof JsonObject o) {
      Map<String, Object> map = new LinkedHashMap<>();
      o.forEach(e -> map.put(e.getKey(), plain(e.getValue())));
      return map;
    }
    if (value instanceof JsonArray a) {
      List<Object> list = new ArrayList<>();
      a.forEach(v -> list.add(plain(v)));
      return list;
    }
    return value;
  }

  /** Columns padded to their widest cell; a row of nothing prints only the heading. */
  static final class Table {
    private final List<String> headings;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headings) {
      this.headings = List.of(headings);
    }

    Table row(Object... cells) {
      List<String> row = new ArrayList<>();
      for (Object c : cells) {
        row.add(c == null ? "-" : c.toString());
      }
      rows.add(row);
      return this;
    }

    void print(PrintWriter out) {
      int[] widths = new int[headings.size()];
      for (int i = 0; i < widths.length; i++) {
        widths[i] = headings.get(i).length();
        for (List<String> r : rows) {
          widths[i] = Math.max(widths[i], r.get(i).length());
        }
      }
      line(out, headings, widths);
      for (List<String> r : rows) {
        line(out, r, widths);
      }
    }

    private static void line(PrintWriter out, List<String> cells, int[] widths) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < cells.size(); i++) {
        b.append(cells.get(i));
        if (i < cells.size() - 1) {
          b.append(" ".repeat(widths[i] - cells.get(i).length() + 2));
        }
      }
      out.println(b);
    }
  }
}
