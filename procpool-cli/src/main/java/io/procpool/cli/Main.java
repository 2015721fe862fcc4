package io.procpool.cli;

import io.procpool.internal.BuildInfo;
import io.procpool.ProcessPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code procpool run|check --config FILE}: the command line.
 *
 * <p>Exit codes: 0 after a clean shutdown (also after SIGINT or SIGTERM) or for a valid
 * configuration, 2 for an invalid configuration or command line (nothing started), 1 for any
 * other fatal error.
 */
// The subcommands are added in commandLine(), not listed here: see there.
@Command(name = "procpool", mixinStandardHelpOptions = true,
        description = {
            "Keeps pools of long-running processes (one per port) alive: starts them, health-checks them, "
            + "restarts them with backoff, and stops them all gracefully on SIGINT or SIGTERM.",
            "",
            "Exit codes: 0 clean shutdown or valid config; 2 invalid config or usage (nothing started); "
            + "1 any other fatal error."})
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (without exiting, for tests and wrappers). */
    public static int execute(String... args) {
        Optional<LogFormat> format;
        try {
            format = LogFormat.chosen(List.of(args), System::getProperty, System.getenv());
        } catch (LogFormat.Invalid e) {
            System.err.println("procpool: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        if (args.length > 0 && args[0].equals("ctl")) {
            quietLogging();
        } else if (args.length > 0 && args[0].equals("run")) {
            chooseLogging(format);
            // Setup that needs no input (logging's start first), on a second thread while this one
            // reads the command line and the pool file: 0.25 s of a cold start's work
            // (docs/benchmarks.md, "Where a cold start goes"). RunCommand waits for logging before
            // it can log.
            ProcessPool.prewarm(Main::startLogging);
        } else {
            chooseLogging(format);
            startLogging();
        }
        if (args.length > 0 && args[0].equals("ctl")) {
            String name = System.getenv("PROCPOOL_CTL_NAME");
            if (name != null && !name.isBlank()) {
                // Called as poolctl (bin/poolctl sets the name): usage and errors say so.
                String[] ctlArgs = List.of(args).subList(1, args.length).toArray(String[]::new);
                return poolctl(name, ctlArgs).execute(ctlArgs);
            }
            return ctlCommandLine(args).execute(args);
        }
        return (args.length > 0 && args[0].equals("run") ? commandLine(new RunCommand()) : commandLine()).execute(args);
    }

    /**
     * The command line, with what it does on errors: a mistake in the arguments prints what was
     * wrong and the usage (exit 2); anything a command throws prints one line, never a stack
     * trace (exit 1), unless {@code PROCPOOL_DEBUG} is set.
     */
    static CommandLine commandLine() {
        return commandLine(new RunCommand(), new CheckCommand(), CtlCommand.commandLine(CtlCommand.COMMANDS),
                new CommandLine.HelpCommand());
    }

    /**
     * The tree a {@code procpool ctl} (poolctl) call runs on: ctl with only the command its
     * arguments name, when exactly one of them is a command's name and that smaller tree parses
     * them to that command without asking for ctl's help; otherwise the whole tree. So a call
     * reads as it would on the whole tree: with no other command's name among the arguments, the
     * parse is the same, and anything the smaller tree cannot parse (a usage error, a misspelt
     * command, a help listing the commands) goes to the whole tree and reads as it always did.
     */
    static CommandLine ctlCommandLine(String... args) {
        return smallest(commands -> commands == CtlCommand.COMMANDS ? commandLine() : commandLine(CtlCommand.commandLine(commands)),
                args, true);
    }

    /**
     * The tree of a call through {@code poolctl}, given the arguments after "ctl": ctl on its
     * own, named {@code name}, with the commands {@link #ctlCommandLine} would give it. Under
     * procpool, picocli writes a command's usage under its parents' names ("procpool ctl
     * status"); here it reads "poolctl status".
     */
    static CommandLine poolctl(String name, String... args) {
        CommandLine ctl = smallest(commands -> configure(CtlCommand.commandLine(commands)), args, false);
        ctl.setCommandName(name);
        return ctl;
    }

    /**
     * {@code tree} with only the command {@code args} name, when that parses them to it without
     * asking for help; otherwise {@code tree} with every command. {@code underRoot}: the trees
     * have procpool above ctl, and {@code args} begin with "ctl".
     */
    private static CommandLine smallest(java.util.function.Function<List<Class<? extends CtlCommand.Subcommand>>, CommandLine> tree,
                                        String[] args, boolean underRoot) {
        List<String> ctlArgs = List.of(args).subList(underRoot ? 1 : 0, args.length);
        Optional<Class<? extends CtlCommand.Subcommand>> named = CtlCommand.named(ctlArgs);
        if (named.isPresent()) {
            CommandLine one = tree.apply(List.of(named.get()));
            try {
                CommandLine.ParseResult top = one.parseArgs(args);
                CommandLine.ParseResult ctl = underRoot ? top.subcommand() : top;
                if (!top.isUsageHelpRequested() && ctl != null && !ctl.isUsageHelpRequested() && ctl.hasSubcommand()) {
                    return one;
                }
            } catch (CommandLine.ParameterException e) {
                // The whole tree says what was wrong, listing every command.
            }
        }
        return tree.apply(CtlCommand.COMMANDS);
    }

    /**
     * The command line with only {@code subcommands}. {@code run} builds the model of its own
     * command only: picocli reads every command's annotations by reflection when its model is
     * built, and building the whole tree (poolctl's dozen commands among them) was about a third
     * of the 80 ms picocli took on the main thread on the way from a cold start to the first
     * spawn (async-profiler, CPU samples: 412 to about 275).
     */
    static CommandLine commandLine(Object... subcommands) {
        CommandLine cmd = new CommandLine(new Main());
        for (Object sub : subcommands) {
            cmd.addSubcommand(sub);
        }
        return configure(cmd);
    }

    /** What every tree does on errors, its version and its values, set on {@code cmd} and each command under it. */
    private static CommandLine configure(CommandLine cmd) {
        // Every command offers -V (mixinStandardHelpOptions), the root included; each answers with procpool's version.
        versionEverywhere(cmd, new Version());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + describe(e));
            if (System.getenv("PROCPOOL_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return ExitCodes.FATAL;
        });
        return cmd;
    }

    private static void versionEverywhere(CommandLine cmd, CommandLine.IVersionProvider version) {
        cmd.getCommandSpec().versionProvider(version);
        cmd.getSubcommands().values().forEach(sub -> versionEverywhere(sub, version));
    }

    /** A throwable as one line for people: its message, or its kind when it has none. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? "unexpected " + e.getClass().getSimpleName() : message;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.CONFIG;
    }

    /**
     * An explicit {@code -Dlogback.configurationFile} wins; else JSON lines when asked for
     * ({@link LogFormat}); else {@code conf/logback.xml} of the working directory when there is
     * one (conf/logback.example.xml is the default, to copy); else procpool's text format, set up
     * in code ({@link TextLogging}). Set before any logger exists.
     */
    private static void chooseLogging(Optional<LogFormat> format) {
        if (System.getProperty("logback.configurationFile") == null) {
            Path local = Path.of("conf", "logback.xml");
            if (format.orElse(LogFormat.TEXT).resource != null) {
                System.setProperty("logback.configurationFile", format.get().resource);
            } else if (Files.isRegularFile(local)) {
                System.setProperty("logback.configurationFile", local.toString());
            } else {
                System.setProperty(TextLogging.ASKED, "true");
            }
        }
    }

    /** Starts the logging backend as {@link #chooseLogging} set it up (the first logger does), which also keeps SLF4J from replaying early Pekko messages. */
    private static void startLogging() {
        LoggerFactory.getLogger(Main.class);
    }

    /**
     * poolctl prints what it has to say itself and logs nothing: SLF4J is pointed at its no-op
     * provider, so logback is neither looked up nor configured. Logback's start (its XML
     * configuration and appenders, about 530 classes) was 100 ms of a 570 ms {@code poolctl status}
     * (docs/benchmarks.md, "poolctl"). An explicit {@code -Dslf4j.provider} wins.
     */
    private static void quietLogging() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            // SLF4J says at INFO on stderr which provider it was told to use: not for poolctl's output.
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().describe()};
        }
    }
}
