package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code procpool ctl ...} (also {@code bin/poolctl}): drives a running manager through its admin
 * API, the way supervisorctl drives supervisord. Exit codes: 0 on success, 1 when the manager is
 * unreachable or refuses or fails the operation, 2 on a usage error.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Talks to a running procpool manager through its admin API.",
            "Exit codes: 0 success; 1 manager unreachable, or the operation refused or failed; 2 usage error."},
        subcommands = {CtlCommand.Status.class, CtlCommand.Restart.class, CtlCommand.Stop.class, CtlCommand.Start.class,
            CtlCommand.Scale.class, CtlCommand.Logs.class, CtlCommand.Backends.class, CtlCommand.Reload.class})
final class CtlCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.CONFIG;
    }

    /** Where the manager is and how to talk to it; shared by every subcommand. */
    static final class Connection {
        @Option(names = "--admin", paramLabel = "URL",
                description = "The manager's admin API. Default: from --config if given, else http://127.0.0.1:9900.")
        String admin;

        @Option(names = "--config", paramLabel = "FILE", description = "Take the admin address and token from this pool file.")
        Path config;

        @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for mutating calls. Default: $PROCPOOL_TOKEN.")
        String token;

        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;

        AdminClient client() throws InvalidConfigException {
            String url = admin;
            Optional<String> tok = Optional.ofNullable(token).or(() -> Optional.ofNullable(System.getenv("PROCPOOL_TOKEN")));
            if (config != null) {
                PoolSettings s = PoolConfigLoader.loadFile(config, Path.of("").toAbsolutePath());
                if (url == null) {
                    url = "http://" + s.admin().host() + ":" + s.admin().port();
                }
                if (tok.isEmpty()) {
                    tok = s.admin().token();
                }
            }
            return new AdminClient(url == null ? "http://127.0.0.1:9900" : url, tok);
        }
    }

    /** Runs one exchange with the manager and turns its outcome into an exit code. */
    abstract static class Subcommand implements Callable<Integer> {
        @Mixin
        Connection connection;

        abstract int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException;

        @Override
        public Integer call() {
            try {
                return run(connection.client(), System.out);
            } catch (AdminClient.Unreachable e) {
                System.err.println("poolctl: " + e.getMessage());
                return ExitCodes.FATAL;
            } catch (InvalidConfigException e) {
                return RunCommand.printConfigErrors(e);
            } catch (IOException e) {
                System.err.println("poolctl: unreadable answer from the manager: " + e.getMessage());
                return ExitCodes.FATAL;
            }
        }

        /** Prints an operation's answer; 0 when it succeeded. */
        int report(AdminClient.Answer a, PrintStream out) throws IOException {
            if (connection.json) {
                out.println(a.body());
            } else if (a.ok()) {
                out.println(a.json().path("message").asText());
            } else {
                System.err.println("poolctl: " + a.error());
            }
            return a.ok() ? ExitCodes.OK : ExitCodes.FATAL;
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
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            AdminClient.Answer a = client.get(service == null ? "status" : "status/" + enc(service));
            if (connection.json || !a.ok()) {
                return report(a, out);
            }
            JsonNode root = a.json();
            if (service == null) {
                out.print(StatusTable.render(root.path("services")));
            } else {
                var wrapped = AdminClient.JSON.createObjectNode();
                wrapped.set(service, root);
                out.print(StatusTable.render(wrapped));
                out.print(StatusTable.details(service, root));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = "Rolling restart: one instance at a time, each only after its replacement is ready.")
    static final class Restart extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Option(names = "--no-wait", description = "Return at once instead of waiting for the roll to finish.")
        boolean noWait;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/restart" + (noWait ? "?wait=false" : ""),
                    Duration.ofMinutes(11)), out);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop every instance of a service (it stays stopped).")
    static final class Stop extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/stop", Duration.ofMinutes(5)), out);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a stopped service again.")
    static final class Start extends Subcommand {
        @Parameters(paramLabel = "SERVICE")
        String service;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/start", Duration.ofSeconds(30)), out);
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, description = "Run N instances (between min and max).")
    static final class Scale extends Subcommand {
        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Parameters(index = "1", paramLabel = "N")
        int instances;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            return report(client.post("services/" + enc(service) + "/scale?instances=" + instances, Duration.ofSeconds(30)), out);
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "The tail of an instance's captured output.")
    static final class Logs extends Subcommand {
        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Parameters(index = "1", paramLabel = "PORT")
        int port;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "100", description = "How many lines (default ${DEFAULT-VALUE}).")
        int lines;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            AdminClient.Answer a = client.get("services/" + enc(service) + "/instances/" + port + "/log?lines=" + lines);
            if (connection.json || !a.ok()) {
                return report(a, out);
            }
            a.json().path("lines").forEach(l -> out.println(l.asText()));
            return ExitCodes.OK;
        }
    }

    @Command(name = "backends", mixinStandardHelpOptions = true, description = "The ready instances, as a proxy wants them.")
    static final class Backends extends Subcommand {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json", description = "json, yarp, traefik or nginx.")
        String format;

        @Override
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
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
        int run(AdminClient client, PrintStream out) throws AdminClient.Unreachable, IOException {
            return report(client.post("reload", Duration.ofMinutes(11)), out);
        }
    }
}
