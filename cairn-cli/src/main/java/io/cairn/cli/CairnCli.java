package io.cairn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * The {@code cairn} command line: the registry, its nodes, watches, backups and tokens from a shell. Started by
 * {@code bin/cairn}, which runs the node's fat jar as {@code java -jar cairn.jar cli ...}.
 *
 * <p>Exit codes: 0 done, 1 refused or not found, 2 bad usage, 3 no node reachable. An error is one line on stderr.
 */
@Command(name = "cairn", mixinStandardHelpOptions = true, versionProvider = CairnCli.Version.class,
    description = "The Cairn service registry from a shell.",
    subcommands = {ServicesCommand.class, InstanceCommands.Get.class, RegisterCommand.class,
        InstanceCommands.Deregister.class, InstanceCommands.Drain.class, InstanceCommands.Enable.class,
        InstanceCommands.Disable.class, InstanceCommands.Check.class, WatchCommand.class, NodesCommand.class,
        StatusCommand.class, RoutesCommand.class, SnapshotCommand.class, TokenCommand.class,
        CairnCli.VersionCommand.class, CompletionCommand.class},
    footer = {"", "Every command that talks to the cluster takes --addr (CAIRN_ADDR), --token (CAIRN_TOKEN), --ca, "
        + "--cert and --key; see 'cairn COMMAND --help'.", "",
        "Exit codes: 0 done, 1 refused or not found, 2 bad usage, 3 no node reachable."})
public final class CairnCli {
  private CairnCli() {
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(args, out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs one command line; answers its exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new CairnCli());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setParameterExceptionHandler((e, args1) -> {
      err.println("cairn: " + e.getMessage() + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName()
          + " --help')");
      return CliFailure.USAGE;
    });
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      // Anything but a failure a command names is a fault of this program: said as it is, exit code 1.
      CliFailure f = e instanceof CliFailure c ? c : CliFailure.refused(String.valueOf(e));
      err.println("cairn: " + f.getMessage());
      return f.exitCode();
    });
    return commandLine.execute(args);
  }

  static String version() {
    String v = CairnCli.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** What --version and 'cairn version' print. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"cairn " + version() + " (Java " + Runtime.version() + ")"};
    }
  }

  @Command(name = "version", description = "This command line's version.")
  static final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(new Version().getVersion()[0]);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
