package io.procpool.cli;

import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.process.Executables;
import io.procpool.spi.LaunchException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code procpool check --config FILE}: validates a configuration and exits. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validates a pool configuration: exit 0 when it is valid, 2 when it is not.",
            "Every error is printed, each naming the file, the service and the key."})
final class CheckCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/pool.conf",
            description = "The pool configuration (HOCON, or JSON by its .json name). Default: ${DEFAULT-VALUE}.")
    Path config;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        java.io.PrintWriter out = spec.commandLine().getOut();
        PoolSettings settings;
        try {
            settings = PoolConfigLoader.loadFile(config, Path.of("").toAbsolutePath());
        } catch (InvalidConfigException e) {
            return RunCommand.printConfigErrors(e, spec.commandLine().getErr());
        }
        int enabled = 0;
        for (ServiceSettings s : settings.services().values()) {
            if (!s.enabled()) {
                out.println("  " + s.name() + ": disabled");
                continue;
            }
            enabled++;
            out.println("  " + s.name() + ": " + s.minProcesses() + ".." + s.maxProcesses() + " instance(s) on "
                    + s.ports() + ", health " + s.health().probe().summary()
                    + (settings.gateway().enabled() ? ", route " + s.route().host().map(h -> h + " ").orElse("") + s.route().pathPrefix() : ""));
            warnIfNotRunnable(s, out);
        }
        if (settings.admin().enabled()) {
            out.println("admin API: http://" + settings.admin().host() + ":" + settings.admin().port());
        }
        if (settings.gateway().enabled()) {
            out.println("gateway: http://" + settings.gateway().host() + ":" + settings.gateway().port());
        }
        settings.feeds().forEach(f -> out.println(f.name() + " feed: " + f.file()
                + (f.reloadCommand().isEmpty() ? "" : ", then " + String.join(" ", f.reloadCommand()))));
        out.println(config + ": OK (" + enabled + " of " + settings.services().size() + " service(s) enabled)");
        out.flush();
        return ExitCodes.OK;
    }

    /** A missing program is only a warning here: it may be built after the check. */
    private static void warnIfNotRunnable(ServiceSettings s, java.io.PrintWriter out) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(s.env());
        try {
            Executables.resolve(s.command().get(0), s.workingDir(), env);
        } catch (LaunchException e) {
            out.println("  warning: " + s.name() + ": " + e.getMessage());
        }
    }
}
