package io.cairn.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "completion", description = {"Prints the shell completion script for bash or zsh.",
    "bash: source <(cairn completion bash); zsh: source <(cairn completion zsh)."})
final class CompletionCommand implements Callable<Integer> {
  enum Shell { bash, zsh }

  @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
  Shell shell;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("cairn", spec.root().commandLine());
    if (shell == Shell.zsh) {
      // The script is bash's; zsh runs it through its bash-completion emulation.
      script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
    }
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
