package io.procpool.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.admin.AdminServer;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.health.PekkoHealthProbe;
import io.procpool.metrics.PoolMetrics;
import io.procpool.process.OsProcessLauncher;
import io.procpool.process.ResourceSampler;
import io.procpool.supervision.PoolEnvironment;
import io.procpool.supervision.PoolSupervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code procpool run --config FILE}: runs a pool in the foreground until SIGINT or SIGTERM.
 *
 * <p>Order matters: the configuration is validated first (exit 2, nothing started), then the
 * state dir is taken and what an earlier run left behind is stopped, then the admin API is bound
 * (exit 1 if it cannot be, still with nothing started), and only then are the pools started.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a pool in the foreground. SIGINT or SIGTERM stops every instance gracefully",
            "(a second signal kills them at once) and exits 0."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/pool.conf",
            description = "The pool configuration (HOCON, or JSON by its .json name). Default: ${DEFAULT-VALUE}.")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        Path cwd = Path.of("").toAbsolutePath();
        Config raw;
        PoolSettings settings;
        try {
            raw = PoolConfigLoader.parseFile(config);
            settings = PoolConfigLoader.fromConfig(raw, config.toString(), cwd);
        } catch (InvalidConfigException e) {
            return printConfigErrors(e);
        }
        Duration stopBudget = PoolSupervisor.stopBudget(settings);
        OsProcessLauncher launcher;
        try {
            launcher = OsProcessLauncher.open(settings.stateDir(), settings.longestStop(), stopBudget);
        } catch (IOException | RuntimeException e) {
            System.err.println("procpool: " + e.getMessage());
            return ExitCodes.FATAL;
        }
        try {
            return runPool(raw, settings, launcher, stopBudget);
        } finally {
            launcher.close();
        }
    }

    private int runPool(Config raw, PoolSettings settings, OsProcessLauncher launcher, Duration stopBudget)
            throws InterruptedException {
        Config systemConfig = ConfigFactory.parseString(
                "pekko.coordinated-shutdown.phases.service-stop.timeout = " + stopBudget.toMillis() + "ms")
                .withFallback(raw);
        PoolMetrics metrics = new PoolMetrics();
        ActorSystem<PoolSupervisor.Command> system = ActorSystem.create(Behaviors.setup(ctx -> PoolSupervisor.create(settings,
                new PoolEnvironment(launcher, new PekkoHealthProbe(ctx.getSystem()), settings.logDir(), metrics,
                        ResourceSampler.proc(ctx.getSystem().dispatchers().lookup(
                                org.apache.pekko.actor.typed.DispatcherSelector.fromConfig("procpool.blocking-dispatcher")))))),
                "procpool", systemConfig);
        ConfigReloader reloader = new ConfigReloader(config, Path.of("").toAbsolutePath(), system, system);
        if (settings.admin().enabled() && !bindAdmin(system, settings, metrics, reloader)) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            return ExitCodes.FATAL;
        }
        AtomicInteger signals = new AtomicInteger();
        Runnable onSignal = () -> onStopSignal(system, launcher, signals.incrementAndGet());
        Signals.onTermination(onSignal);
        Signals.onHangup(() -> reloader.reloadAndLog("SIGHUP"));
        system.tell(PoolSupervisor.Start.INSTANCE);
        ConfigWatcher watcher = settings.watchConfig() ? watch(reloader) : null;
        system.getWhenTerminated().toCompletableFuture().join();
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                log.debug("closing the config watcher: {}", e.toString());
            }
        }
        if (signals.get() == 0) {
            log.error("the actor system stopped on its own; see the errors above");
            return ExitCodes.FATAL;
        }
        if (launcher.liveChildren() > 0) {
            log.error("{} process group(s) outlived the shutdown; the JVM's exit will SIGKILL them", launcher.liveChildren());
            return ExitCodes.FATAL;
        }
        log.info("procpool stopped cleanly");
        return ExitCodes.OK;
    }

    private ConfigWatcher watch(ConfigReloader reloader) {
        try {
            return new ConfigWatcher(config, () -> reloader.reloadAndLog("configuration file changed"));
        } catch (IOException e) {
            log.warn("cannot watch {} for changes ({}); reload with SIGHUP or poolctl reload", config, e.toString());
            return null;
        }
    }

    private static boolean bindAdmin(ActorSystem<PoolSupervisor.Command> system, PoolSettings settings, PoolMetrics metrics,
                                     ConfigReloader reloader) throws InterruptedException {
        String where = settings.admin().host() + ":" + settings.admin().port();
        try {
            ServerBinding binding = AdminServer.bind(system, settings.admin(), system, metrics, reloader)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            log.info("admin API on http://{}:{}/status", settings.admin().host(), binding.localAddress().getPort());
            return true;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            System.err.println("procpool: cannot bind the admin API on " + where + " (pool.admin in " + settings.source()
                    + "): " + cause.getMessage());
        } catch (TimeoutException e) {
            System.err.println("procpool: binding the admin API on " + where + " timed out");
        }
        return false;
    }

    /** First signal: stop everything gracefully. Another one: SIGKILL what is left at once. */
    private static void onStopSignal(ActorSystem<?> system, OsProcessLauncher launcher, int count) {
        if (count == 1) {
            log.info("stop signal received: stopping every instance (send another to kill them at once)");
            CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.jvmExitReason());
        } else {
            log.warn("second stop signal: killing every process group now");
            launcher.killAll();
        }
    }

    static int printConfigErrors(InvalidConfigException e) {
        System.err.println("procpool: invalid configuration (" + e.errors().size() + " error"
                + (e.errors().size() == 1 ? "" : "s") + "); nothing was started:");
        e.errors().forEach(err -> System.err.println("  " + err.render()));
        return ExitCodes.CONFIG;
    }
}
