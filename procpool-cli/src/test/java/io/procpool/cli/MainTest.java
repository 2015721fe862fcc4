package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's own mistakes and configuration errors: exit codes and what is printed, never a stack trace. */
class MainTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run procpool(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        Run run = new Run(cmd.execute(args), out.toString(), err.toString());
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), "a stack trace: " + run.err());
        return run;
    }

    /** A command list shows each command's first description line only: it is a whole sentence. */
    @Test
    void everyCommandsFirstDescriptionLineIsAWholeSentence() {
        java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(Main.commandLine()));
        for (int i = 0; i < all.size(); i++) {
            CommandLine c = all.get(i);
            all.addAll(c.getSubcommands().values());
            String[] description = c.getCommandSpec().usageMessage().description();
            if (description.length > 0) {
                assertTrue(description[0].endsWith("."), c.getCommandSpec().qualifiedName() + ": " + description[0]);
            }
        }
        assertTrue(all.size() > 12, "the whole tree: " + all.size());
    }

    @Test
    void checkPrintsEveryErrorWithItsLineAndExits2() throws Exception {
        Path file = Files.writeString(dir.resolve("pool.conf"), """
                pool.services {
                  web {
                    ports = [8000, 8001]
                    max-processes = -1
                  }
                }
                """);
        Run run = procpool("check", "--config", file.toString());
        assertEquals(2, run.exit());
        assertEquals("procpool: invalid configuration (2 errors); nothing was started:\n"
                + "  " + file + ":2: service 'web', key 'command': is missing: say what to run, such as command = "
                + "\"./build/search.cgi {port}\"\n"
                + "  " + file + ":4: service 'web', key 'max-processes': must be between 1 and 65535, got -1\n", run.err());
    }

    @Test
    void checkOfAValidFileSummarisesItAndExits0() throws Exception {
        Path file = Files.writeString(dir.resolve("ok.conf"), """
                pool { admin.port = 19999, services.web { command = "sh -c 'exit 0'", ports = [8000, 8001], min-processes = 1 } }
                """);
        Run run = procpool("check", "--config", file.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("web: 1..2 instance(s) on [8000, 8001], health tcp"), run.out());
        assertTrue(run.out().endsWith(file + ": OK (1 of 1 service(s) enabled)\n"), run.out());
    }

    @Test
    void runWithAnInvalidFileStartsNothingAndExits2() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.conf"), "pool.services.web { command = x, prots = [1] }\n");
        Run run = procpool("run", "--config", file.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("procpool: invalid configuration (2 errors); nothing was started:"), run.err());
        assertTrue(run.err().contains(":1: service 'web', key 'prots': unknown key (did you mean 'ports'?)"), run.err());
    }

    @Test
    void anUnknownCommandOrOptionIsAUsageError() {
        Run unknown = procpool("frobnicate");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("Unmatched argument at index 0: 'frobnicate'"), unknown.err());
        assertEquals(2, procpool("run", "--config").exit());
        Run format = procpool("run", "--log-format", "yaml");
        assertEquals(2, format.exit());
        assertTrue(format.err().contains("Invalid value for option '--log-format'") && format.err().contains("TEXT, JSON"), format.err());
    }

    @Test
    void versionNamesTheVersionTheCommitAndTheBuildTime() {
        Run run = procpool("--version");
        assertEquals(0, run.exit());
        assertEquals(io.procpool.internal.BuildInfo.current().describe() + "\n", run.out());
        assertTrue(run.out().startsWith("procpool 0.") || run.out().startsWith("procpool 1."), run.out());
    }
}
