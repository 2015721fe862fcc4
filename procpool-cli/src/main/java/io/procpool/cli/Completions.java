package io.procpool.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Writes the bash completion scripts of {@code procpool} and {@code poolctl} (the build runs this
 * at prepare-package) from the very command trees a call parses, through picocli's generator.
 *
 * <p>Not picocli's own {@code AutoComplete} main on a class name: that builds the tree from the
 * class's annotations only, and {@link Main}'s subcommands are added in code ({@link
 * Main#commandLine()}), so the script it wrote for {@code procpool} completed no command at all.
 */
public final class Completions {

    private Completions() {
    }

    /** {@code Completions DIR}: writes {@code DIR/procpool.bash-completion} and {@code DIR/poolctl.bash-completion}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: Completions DIR (where the two scripts go)");
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        Files.writeString(dir.resolve("procpool.bash-completion"), procpool(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("poolctl.bash-completion"), poolctl(), StandardCharsets.UTF_8);
    }

    /** The script for {@code procpool}: run, check, ctl with its commands, help. */
    static String procpool() {
        CommandLine root = Main.commandLine();
        return withServices(AutoComplete.bash("procpool", root), "procpool_ctl", "\"${COMP_WORDS[0]}\" ctl",
                root.getSubcommands().get("ctl"));
    }

    /** The script for {@code poolctl}, which is {@code procpool ctl} under a name of its own. */
    static String poolctl() {
        CommandLine ctl = CtlCommand.commandLine(CtlCommand.COMMANDS);
        return withServices(AutoComplete.bash("poolctl", ctl), "poolctl", "\"${COMP_WORDS[0]}\"", ctl);
    }

    /**
     * {@code script} with the running manager's services offered where a command of {@code ctl}
     * takes a SERVICE first, as systemctl offers its units. picocli's script completes only what
     * it knows when it is generated; the services are asked of the manager at the moment of the
     * completion, through {@code ctlCall status} (the first column of its table, with the line's
     * {@code --config} if it has one). No manager answering: nothing is offered.
     *
     * @param function the part of picocli's function names before the command ({@code _picocli_poolctl_status})
     */
    static String withServices(String script, String function, String ctlCall, CommandLine ctl) {
        String result = script;
        for (var e : ctl.getSubcommands().entrySet()) {
            boolean takesService = e.getValue().getCommandSpec().positionalParameters().stream()
                    .anyMatch(p -> p.index().min() == 0 && p.paramLabel().equals("SERVICE"));
            if (!takesService) {
                continue;
            }
            String head = "function _picocli_" + function + "_" + e.getKey() + "() {\n";
            int at = result.indexOf(head);
            String plain = "    local positionals=\"\"\n";
            int line = at < 0 ? -1 : result.indexOf(plain, at);
            int end = at < 0 ? -1 : result.indexOf("\n}\n", at);
            if (line < 0 || line > end) {
                throw new IllegalStateException("picocli's script has no positionals line in " + head.trim());
            }
            result = result.substring(0, line) + plain
                    + "    [[ \"${prev_word}\" == '" + e.getKey() + "' ]] && positionals=$(_procpool_services_" + function + ")\n"
                    + result.substring(line + plain.length());
        }
        return result + """

                # The running manager's services, for the commands that take one: the first column of
                # `status` (with the line's --config, if it has one); nothing when no manager answers.
                function _procpool_services_%s() {
                  local config=() i
                  for ((i = 1; i < COMP_CWORD - 1; i++)); do
                    [[ "${COMP_WORDS[i]}" == --config ]] && config=(--config "${COMP_WORDS[i+1]}")
                  done
                  %s "${config[@]}" status 2>/dev/null | awk 'NR > 1 { print $1 }'
                }
                """.formatted(function, ctlCall);
    }
}
