package io.procpool.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;

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
        return AutoComplete.bash("procpool", Main.commandLine());
    }

    /** The script for {@code poolctl}, which is {@code procpool ctl} under a name of its own. */
    static String poolctl() {
        return AutoComplete.bash("poolctl", CtlCommand.commandLine(CtlCommand.COMMANDS));
    }
}
