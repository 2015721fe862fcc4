package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code procpool ctl ...} (also {@code bin/poolctl}): drives a running manager through its admin
 * API, the way supervisorctl drives supervisord. Exit codes: 0 on success, 1 when the manager is
 * unreachable or refuses or fails the operation (or goes away while followed), 2 on a usage error
 * (a bad address included, and a value the manager answers 400 for). Everything is printed
 * through picocli's writers, so tests see exactly what a user sees.
 *
 * <p>The connection options ({@link Connection}) are global, as kubectl's and git's are: declared
 * once here with {@code scope = INHERIT}, so that {@code poolctl --admin :9901 status} and
 * {@code poolctl status --admin :9901} mean the same; wherever they are given, picocli stores them
 * in this command's {@link #connection}, which every subcommand reads through its parent.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Talks to a running procpool manager through its admin API.",
            "The options below are global: they go before or after the command (poolctl --admin :9901 status).",
            "Exit codes: 0 success; 1 manager unreachable, the operation refused or failed, or the connection lost while following; "
                    + "2 usage error, a value the manager rejected (400) among them."})
final class CtlCommand implements Callable<Integer> {

    /** poolctl's commands, in the order its help lists them; added in {@link #commandLine}, not in the annotation (see there). */
    static final List<Class<? extends Subcommand>> COMMANDS = List.of(Status.class, TopCommand.class, EventsCommand.class,
            LogsCommand.class, Restart.class, Stop.class, Start.class, Scale.class, Signal.class, Backends.class, Reload.class);

    /** The environment poolctl reads ({@code PROCPOOL_ADMIN}, {@code PROCPOOL_TOKEN}, the manager's own); tests replace it. */
    static UnaryOperator<String> environment = System::getenv;

    @Spec
    CommandSpec spec;

    /** The global options, wherever on the command line they were given. */
    @Mixin
    Connection connection;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.CONFIG;
    }

    /**
     * ctl with {@code commands} under it. A call needs the model of the one command it runs only:
     * picocli builds a command's model by reading its annotations, and the other ten were 16 to
     * 26 ms of a 0.22 s {@code poolctl status} or {@code backends} (25 calls each, alternated;
     * docs/benchmarks.md, "poolctl").
     */
    static CommandLine commandLine(List<Class<? extends Subcommand>> commands) {
        CommandLine ctl = new CommandLine(new CtlCommand());
        for (Class<? extends Subcommand> command : commands) {
            ctl.addSubcommand(command);
        }
        return ctl;
    }

    /** The command that {@code args} (those after {@code ctl}) name, when exactly one of them is a command's name. */
    static Optional<Class<? extends Subcommand>> named(List<String> args) {
        Class<? extends Subcommand> found = null;
        for (Class<? extends Subcommand> command : COMMANDS) {
            int times = Collections.frequency(args, command.getAnnotation(Command.class).name());
            if (times > 1 || times == 1 && found != null) {
                return Optional.empty();
            }
            if (times == 1) {
                found = command;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Where the manager is and how to talk to it; global options, shared by every subcommand. */
    static final class Connection {
        @Option(names = "--admin", paramLabel = "ADDRESS", scope = ScopeType.INHERIT,
                description = {"The manager's admin API: host:port, :port or http://host:port.",
                    "Default: the address in --config, else $PROCPOOL_ADMIN, else $PROCPOOL_ADMIN_HOST and "
                    + "$PROCPOOL_ADMIN_PORT (the manager's own), else 127.0.0.1:9900."})
        String admin;

        @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT, description = "Take the admin address and token from this pool file.")
        Path config;

        @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT, description = "Bearer token for mutating calls. Default: $PROCPOOL_TOKEN, else $PROCPOOL_ADMIN_TOKEN.")
        String token;

        @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the API's JSON instead of a table or text.")
        boolean json;

        /**
         * Explicit options first, then the environment, then the default address. poolctl's own
         * variables come before the manager's ({@code PROCPOOL_ADMIN_TOKEN}, {@code _HOST},
         * {@code _PORT}), so a shell that starts a manager with those reaches it without repeating them.
         */
        AdminClient client() throws InvalidConfigException, AdminAddress.Invalid {
            Optional<String> tok = Optional.ofNullable(token).or(() -> variable("PROCPOOL_TOKEN"))
                    .or(() -> variable("PROCPOOL_ADMIN_TOKEN"));
            URI base;
            if (admin != null) {
                base = AdminAddress.parse(admin, "--admin");
            } else if (config != null) {
                PoolSettings s = PoolConfigLoader.loadFile(config, Path.of("").toAbsolutePath());
                base = AdminAddress.ofBind(s.admin().host(), String.valueOf(s.admin().port()), s.named("admin") + " in " + config);
                if (tok.isEmpty()) {
                    tok = s.admin().token();
                }
            } else if (variable("PROCPOOL_ADMIN").isPresent()) {
                base = AdminAddress.parse(variable("PROCPOOL_ADMIN").get(), "$PROCPOOL_ADMIN");
            } else if (variable("PROCPOOL_ADMIN_HOST").isPresent() || variable("PROCPOOL_ADMIN_PORT").isPresent()) {
                base = AdminAddress.ofBind(variable("PROCPOOL_ADMIN_HOST").orElse("127.0.0.1"),
                        variable("PROCPOOL_ADMIN_PORT").orElse(String.valueOf(AdminAddress.DEFAULT_PORT)),
                        "$PROCPOOL_ADMIN_HOST and $PROCPOOL_ADMIN_PORT");
            } else {
                base = AdminAddress.parse(":" + AdminAddress.DEFAULT_PORT, "the default address");
            }
            return new AdminClient(base, tok);
        }

        private static Optional<String> variable(String name) {
            return Optional.ofNullable(environment.apply(name)).map(String::trim).filter(v -> !v.isEmpty());
        }
    }

    /** Runs one exchange with the manager and turns its outcome into an exit code. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        CtlCommand parent;

        @Spec
        CommandSpec spec;

        abstract int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException;

        @Override
        public Integer call() {
            PrintWriter err = err();
            try {
                return run(parent.connection.client(), spec.commandLine().getOut());
            } catch (AdminAddress.Invalid e) {
                err.println("poolctl: " + e.getMessage());
                return ExitCodes.CONFIG;
            } catch (AdminClient.Unreachable e) {
                err.println("poolctl: " + e.getMessage());
                return ExitCodes.FATAL;
            } catch (InvalidConfigException e) {
                return RunCommand.printConfigErrors(e, err);
            } catch (IOException e) {
                err.println("poolctl: unreadable answer from the manager: " + e.getMessage());
                return ExitCodes.FATAL;
            } finally {
                spec.commandLine().getOut().flush();
                err.flush();
            }
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        /** {@code --json} was given. */
        boolean json() {
            return parent.connection.json;
        }

        /** Prints an operation's answer, and its warnings on stderr (a reload's "takes effect at a restart"); 0 when it succeeded. */
        int report(AdminClient.Answer a, PrintWriter out) throws IOException {
            if (json()) {
                out.println(a.body());
            } else if (a.ok()) {
                JsonNode answer = a.json();
                out.println(answer.path("message").asText());
                answer.path("warnings").forEach(w -> err().println("poolctl: warning: " + w.asText()));
            } else {
                err().println("poolctl: " + a.error());
            }
            return exitCode(a);
        }

        /**
         * 0 for a success; 2 when the manager answered 400, a value it took as invalid (a line
         * count, a scale, a format, a file on reload): the same mistake is a usage error whether
         * poolctl or the manager finds it; 1 for the rest (refused, failed, no such service).
         */
        static int exitCode(AdminClient.Answer a) {
            return a.ok() ? ExitCodes.OK : a.status() == 400 ? ExitCodes.CONFIG : ExitCodes.FATAL;
        }

        static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Every instance as a table (or one service in detail).")
    static final class Status extends Subcommand {
        @Parameters(arity = "0..1", paramLabel = "SERVICE", description = "Show only this service, with its commands and last exits.")
        String service;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            AdminClient.Answer a = client.get(service == null ? "status" : "status/" + enc(service));
            if (json() || !a.ok()) {
                return report(a, out);
            }
            JsonNode root = a.json();
            if (service == null) {
                out.print(StatusTable.render(root.path("services")));
                out.print(StatusTable.cluster(root.path("cluster")));
            } else {
                var wrapped = Json.object();
                wrapped.set(service, root);
                out.print(StatusTable.render(wrapped));
                out.print(StatusTable.details(service, root));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = {"Rolling restart: what is not ready at once, the ready instances one at a time.",
                "Instances that are not ready (FAILED, BACKOFF, ...) restart at once, with a fresh restart budget; "
                + "the ready ones one at a time, each only after its replacement is ready."})
    static final class Restart extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Option(names = "--no-wait", description = "Return once the roll has begun instead of waiting for its end.")
        boolean noWait;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/restart" + (noWait ? "?wait=false" : ""),
                    Duration.ofMinutes(11)), out);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop every instance of a service (it stays stopped).")
    static final class Stop extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/stop", Duration.ofMinutes(11)), out);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a stopped service again, or the FAILED instances of a running one (fresh restart budget).")
    static final class Start extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/start", Duration.ofSeconds(40)), out);
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, description = "Run N instances (between min and max).")
    static final class Scale extends Subcommand {
        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Parameters(index = "1", paramLabel = "N")
        int instances;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/scale?instances=" + instances, Duration.ofSeconds(40)), out);
        }
    }

    @Command(name = "signal", mixinStandardHelpOptions = true,
            description = {"Send a signal to every running instance of a service.",
                "It goes to each instance's process group, as the stop signal does. SIGNAL: HUP, INT, QUIT, KILL, USR1, USR2, "
                + "ALRM, TERM, CONT, TTIN, TTOU, WINCH (with or without SIG), or its number."})
    static final class Signal extends Subcommand {
        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Parameters(index = "1", paramLabel = "SIGNAL")
        String signal;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/signal?sig=" + enc(signal), Duration.ofSeconds(20)), out);
        }
    }

    @Command(name = "backends", mixinStandardHelpOptions = true, description = "The ready instances, as a proxy wants them.")
    static final class Backends extends Subcommand {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json", description = "json, yarp, traefik, nginx, haproxy or envoy.")
        String format;

        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            AdminClient.Answer a = client.get("backends?format=" + enc(format));
            if (!a.ok()) {
                return report(a, out);
            }
            out.println(a.body());
            return ExitCodes.OK;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = "Re-read the configuration file and apply what changed (nothing when it is invalid).")
    static final class Reload extends Subcommand {
        @Override
        int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
            return report(client.post("reload", Duration.ofMinutes(11)), out);
        }
    }
}
