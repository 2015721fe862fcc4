package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated completion scripts, run in a real bash the way its completion calls them. */
class CompletionsTest {

    @TempDir
    Path dir;

    @Test
    void procpoolCompletesItsCommands() throws Exception {
        Completions.main(new String[] {dir.toString()});
        assertEquals(List.of("check", "ctl", "help", "run"), complete("procpool", ""));
        assertEquals(List.of("check"), complete("procpool", "ch"));
        assertEquals(List.of("status"), complete("procpool", "ctl", "stat"));
    }

    @Test
    void poolctlCompletesItsCommandsAndTheirOptions() throws Exception {
        Completions.main(new String[] {dir.toString()});
        assertEquals(List.of("backends", "events", "logs", "reload", "restart", "scale", "signal", "start", "status", "stop",
                "top"), complete("poolctl", ""));
        assertEquals(List.of("--follow"), complete("poolctl", "logs", "--fo"));
        assertEquals(List.of("--admin"), complete("poolctl", "status", "--adm"));
    }

    @Test
    void theCommandsThatTakeAServiceOfferTheRunningManagersServices() throws Exception {
        Completions.main(new String[] {dir.toString()});
        // The manager's status table, as a command of that name prints it; it says how it was called.
        String manager = "{ echo \"SERVICE  STATE  PORT\"; echo \"web  RUNNING 1/1  8000\"; echo \"search  RUNNING 1/1  8001\"; "
                + "echo \"$*\" >> '" + dir.resolve("calls") + "'; }";
        assertEquals(List.of("search", "web"), completeWith("poolctl() " + manager, "poolctl", "restart", ""));
        assertEquals(List.of("search"), completeWith("poolctl() " + manager, "poolctl", "--config", "pool.conf", "logs", "se"));
        assertEquals(List.of("search", "web"), completeWith("procpool() " + manager, "procpool", "ctl", "stop", ""));
        assertEquals(List.of(), completeWith("poolctl() " + manager, "poolctl", "scale", "web", ""), "only the first argument is a service");
        assertEquals(List.of(), completeWith("poolctl() " + manager, "poolctl", "reload", ""), "reload takes no service");
        assertEquals(List.of("status", "--config pool.conf status", "ctl status"), Files.readAllLines(dir.resolve("calls")));
        assertEquals(List.of(), completeWith("poolctl() { return 1; }", "poolctl", "start", ""), "no manager answering: nothing");
    }

    /** What bash offers for the last of {@code words}, sorted: the script sourced, its function called as bash's completion calls it. */
    private List<String> complete(String command, String... words) throws Exception {
        return completeWith("", command, words);
    }

    /** As {@link #complete(String, String...)}, with {@code setup} run in that bash first. */
    private List<String> completeWith(String setup, String command, String... words) throws Exception {
        Path script = dir.resolve(command + ".bash-completion");
        String line = command + " " + String.join(" ", words);
        String driver = setup + "\nsource '" + script + "'\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}\n"
                + "COMP_WORDS=(" + command + Arrays.stream(words).map(w -> " '" + w + "'").reduce("", String::concat) + ")\n"
                + "COMP_CWORD=" + words.length + "\n"
                // compopt says outside a real completion that it is not in one; nothing else is on stderr.
                + "_complete_" + command + " 2>/dev/null\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\" | sort\n";
        Process bash = new ProcessBuilder("bash", "-c", driver).redirectErrorStream(true).start();
        try {
            String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!bash.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("bash did not finish");
            }
            assertEquals(0, bash.exitValue(), out);
            return out.lines().filter(l -> !l.isBlank()).toList();
        } finally {
            bash.destroyForcibly();
        }
    }
}
