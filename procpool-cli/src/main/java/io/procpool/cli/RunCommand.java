package io.procpool.cli;

import com.typesafe.config.Config;
import io.procpool.ProcessPool;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.internal.tuning.Prewarm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code procpool run --config FILE}: runs a pool in the foreground until SIGINT or SIGTERM.
 *
 * <p>Order matters: the configuration is validated first (exit 2, nothing started), then the
 * state dir is taken and what an earlier run left behind is stopped, then the admin API's port is
 * tried (exit 1 if it cannot be had, still with nothing started), then the pools start and the
 * admin API binds while their children come up. All
 * of that is {@link ProcessPool#start}; this class adds what only a command line has: signals,
 * exit codes, and re-reading the file.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a pool in the foreground.",
            "SIGINT or SIGTERM stops every instance gracefully (a second signal kills them at once) and exits 0; "
            + "SIGHUP re-reads the configuration."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {

    /**
     * The logger, made at its first use: this command is built while logging may still be
     * starting on the prewarm thread ({@link Main#execute}), and a logger asked for then would
     * start it a second time on this thread or wait for it.
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    }

    private static Logger log() {
        return Log.LOG;
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/pool.conf",
            description = "The pool configuration (HOCON, or JSON by its .json name). Default: ${DEFAULT-VALUE}.")
    Path config;

    /** Read by {@link Main} before any logger exists (see {@link LogFormat}); here for --help and validation. */
    @Option(names = LogFormat.OPTION, paramLabel = "FORMAT",
            description = {"procpool's own log on stderr: text (a line per event) or json (a JSON object per line,",
                "for log shippers). Default: $PROCPOOL_LOG_FORMAT, else text. Case-insensitive."})
    LogFormat logFormat;

    /**
     * For {@code bin/procpool cds}: runs {@link CdsTrainingPool}'s pool through {@link
     * io.procpool.internal.tuning.CdsTraining} and poolctl's commands, then stops (--config is ignored).
     */
    @Option(names = "--cds-training", hidden = true)
    boolean training;

    @Override
    public Integer call() {
        Prewarm.before(Prewarm.Part.LOGGING);
        ProcessPool pool;
        boolean watch;
        Path trainingState = null;
        // The signals are procpool's before the pool starts: its children come up while the admin
        // API binds, so a caller that sees an instance ready may signal before start returns. A
        // SIGTERM or SIGHUP meanwhile acts once the pool is there; a second SIGINT or SIGTERM
        // before then ends the JVM (as the JVM's own handling would have).
        CompletableFuture<ProcessPool> started = new CompletableFuture<>();
        AtomicInteger signals = new AtomicInteger();
        Signals.onTermination(() -> {
            int count = signals.incrementAndGet();
            if (!started.isDone() && count > 1) {
                System.exit(ExitCodes.FATAL);
            }
            started.thenAccept(p -> onStopSignal(p, count));
        });
        Signals.onHangup(() -> started.thenAccept(p -> reload(p, "SIGHUP")));
        try {
            if (training) {
                trainingState = java.nio.file.Files.createTempDirectory("procpool-cds-");
            }
            // Nothing of Typesafe Config's before the prewarm's parse of reference.conf is over (see Prewarm).
            Prewarm.before(Prewarm.Part.REFERENCE_CONFIG);
            Config raw = training ? CdsTrainingPool.config(trainingState) : PoolConfigLoader.parseFile(config);
            pool = ProcessPool.builder(raw).source(training ? "the class-data training pool" : config.toString()).baseDir(Path.of("").toAbsolutePath()).notifySystemd()
                    .subreaper(true).start();
            watch = pool.settings().watchConfig();
        } catch (InvalidConfigException e) {
            started.cancel(false);
            return printConfigErrors(e, spec.commandLine().getErr());
        } catch (IOException | RuntimeException e) {
            started.cancel(false);
            if (trainingState != null) {
                deleteQuietly(trainingState);
            }
            spec.commandLine().getErr().println("procpool: " + Main.describe(e));
            spec.commandLine().getErr().flush();
            return ExitCodes.FATAL;
        }
        pool.reloadFrom(config);
        pool.adminAddress().ifPresent(a -> log().info("admin API on http://{}:{}/status", a.getHostString(), a.getPort()));
        started.complete(pool);
        if (Signals.ignoredAtStart(Signals.SIGHUP)) {
            log().warn("SIGHUP is ignored by this process (started under nohup, or by a script that ignores it), so "
                    + "'kill -HUP' will not reload the configuration; reload with 'poolctl reload', POST /reload, "
                    + "or {} = true", pool.settings().named("watch-config"));
        }
        ConfigWatcher watcher = watch ? watch(pool) : null;
        if (training) {
            io.procpool.internal.tuning.CdsTraining.run(pool, pool.adminAddress());
            pool.adminAddress().ifPresent(RunCommand::trainPoolctl);
            pool.closeAsync();
        }
        pool.actorSystem().getWhenTerminated().toCompletableFuture().join();
        pool.close();
        closeQuietly(watcher);
        if (trainingState != null) {
            deleteQuietly(trainingState);
        }
        if (pool.clusterExit().isPresent()) {
            spec.commandLine().getErr().println("procpool: " + pool.clusterExit().get());
            spec.commandLine().getErr().flush();
            return ExitCodes.FATAL;
        }
        if (signals.get() == 0 && !training) {
            log().error("the actor system stopped on its own; see the errors above");
            return ExitCodes.FATAL;
        }
        if (!pool.allProcessesGone()) {
            log().error("process groups outlived the shutdown; the JVM's exit will SIGKILL them");
            return ExitCodes.FATAL;
        }
        log().info("procpool stopped cleanly");
        return ExitCodes.OK;
    }

    /** First signal: stop everything gracefully. Another one: SIGKILL what is left at once. */
    private static void onStopSignal(ProcessPool pool, int count) {
        if (count == 1) {
            log().info("stop signal received: stopping every instance (send another to kill them at once)");
            pool.closeAsync();
        } else {
            log().warn("second stop signal: killing every process group now");
            pool.killAll();
        }
    }

    /** The reload's outcome is logged by the pool, as for every other door (POST /reload, poolctl reload). */
    private void reload(ProcessPool pool, String trigger) {
        log().info("{}: re-reading {}", trigger, config);
        pool.reload();
    }

    private ConfigWatcher watch(ProcessPool pool) {
        try {
            return new ConfigWatcher(config, () -> reload(pool, "configuration file changed"));
        } catch (IOException e) {
            log().warn("cannot watch {} for changes ({}); reload with SIGHUP or poolctl reload", config, e.toString());
            return null;
        }
    }

    /** poolctl's commands, in this JVM, so that the archive holds their classes too: a poolctl call starts on it. */
    private static void trainPoolctl(java.net.InetSocketAddress admin) {
        String url = "http://" + admin.getHostString() + ":" + admin.getPort();
        java.io.PrintWriter nowhere = new java.io.PrintWriter(java.io.Writer.nullWriter());
        for (String[] command : new String[][] {{"status"}, {"status", "--json"}, {"backends", "train"}}) {
            String[] args = new String[command.length + 3];
            args[0] = "ctl";
            args[1] = "--admin";
            args[2] = url;
            System.arraycopy(command, 0, args, 3, command.length);
            picocli.CommandLine cmd = Main.ctlCommandLine(args);
            cmd.setOut(nowhere);
            cmd.setErr(nowhere);
            cmd.execute(args);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            log().debug("could not remove {}: {}", dir, e.toString());
        }
    }

    private static void closeQuietly(ConfigWatcher watcher) {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                log().debug("closing the config watcher: {}", e.toString());
            }
        }
    }

    /** Prints every error of an invalid configuration to {@code err}; the exit code of a config error. */
    static int printConfigErrors(InvalidConfigException e, java.io.PrintWriter err) {
        err.println("procpool: invalid configuration (" + e.errors().size() + " error"
                + (e.errors().size() == 1 ? "" : "s") + "); nothing was started:");
        e.errors().forEach(x -> err.println("  " + x.render()));
        err.flush();
        return ExitCodes.CONFIG;
    }
}
