package io.cairn.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A command that talks to the cluster and prints what it answers: the connection options and the output format. */
abstract class ClusterCommand implements Callable<Integer> {
  @Mixin
  ConnectionOptions connection;

  @Mixin
  Output output;

  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Prints {@code json} as JSON or YAML, or {@code table} for people. */
  void print(Object json, Output.Table table) {
    output.print(out(), json, table);
  }

  /** One line for people (a JSON or YAML document of {@code json} for programs). */
  void say(String line, Object json) {
    if (output.structured()) {
      output.print(out(), json, null);
    } else {
      out().println(line);
      out().flush();
    }
  }
}
