package io.procpool.cli;

import io.procpool.admin.AdminRoutes;
import io.procpool.config.ConfigError;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.OpResult;
import io.procpool.supervision.PoolSupervisor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the configuration file and hands it to the root: for SIGHUP, {@code POST /reload}
 * ({@code poolctl reload}) and {@code pool.watch-config}. An invalid file changes nothing: the
 * errors are logged and returned, and the running pool keeps its old configuration.
 */
final class ConfigReloader implements AdminRoutes.Reloader {

    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    private final Path file;
    private final Path baseDir;
    private final ActorSystem<?> system;
    private final ActorRef<PoolSupervisor.Command> root;

    ConfigReloader(Path file, Path baseDir, ActorSystem<?> system, ActorRef<PoolSupervisor.Command> root) {
        this.file = file;
        this.baseDir = baseDir;
        this.system = system;
        this.root = root;
    }

    @Override
    public CompletionStage<OpResult> reload() {
        PoolSettings next;
        try {
            next = PoolConfigLoader.loadFile(file, baseDir);
        } catch (InvalidConfigException e) {
            log.error("reload of {} refused, nothing changed: {} error(s)", file, e.errors().size());
            e.errors().forEach(err -> log.error("  {}", err.render()));
            return CompletableFuture.completedFuture(new OpResult(OpResult.Outcome.INVALID,
                    "invalid configuration in " + file + "; nothing changed", e.errors().stream().map(ConfigError::render).toList()));
        }
        return AskPattern.<PoolSupervisor.Command, OpResult>ask(root, r -> new PoolSupervisor.Reload(next, r),
                Duration.ofSeconds(30), system.scheduler());
    }

    /** Reloads and logs the outcome (for SIGHUP and file changes, which nobody waits on). */
    void reloadAndLog(String trigger) {
        log.info("{}: re-reading {}", trigger, file);
        reload().whenComplete((r, e) -> {
            if (e != null) {
                log.error("reload failed: {}", e.toString());
            } else if (r.ok()) {
                log.info("{}", r.message());
            }
        });
    }
}
