package io.procpool.internal.feeds;

import io.procpool.api.InstanceState;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import io.procpool.config.FeedSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the proxy feeds ({@code procpool.feeds}) whenever the ready set changes, so that nginx,
 * HAProxy, YARP, Traefik or Envoy follow procpool with no shell loop around {@code /backends}.
 *
 * <p>It listens to the pool's transitions (a subscription, never a timer); a transition into or
 * out of a ready state marks the feeds dirty, and one writer on the blocking executor takes a
 * status, renders each feed, writes the ones whose text changed (to a temporary file in the same
 * directory, then an atomic rename: a proxy never reads half a file) and runs each one's
 * {@code reload-command}. Transitions that arrive while it works make it go round once more, so a
 * burst (500 instances starting) costs a few writes, not 500.
 */
public final class Feeds implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Feeds.class);
    /** The longest a reload command may run before it is killed and reported. */
    static final long RELOAD_TIMEOUT_SECONDS = 30;

    private final Pool pool;
    private final Executor blocking;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Map<Path, String> written = new HashMap<>();
    private final AtomicLong version = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private volatile Subscription subscription;
    private volatile boolean closed;

    private Feeds(Pool pool, Executor blocking) {
        this.pool = pool;
        this.blocking = blocking;
    }

    /** Follows {@code pool} and writes its feeds once now (every service not ready yet). */
    public static Feeds start(Pool pool, Executor blocking) {
        Feeds feeds = new Feeds(pool, blocking);
        feeds.subscription = pool.subscribe(feeds::onEvent);
        feeds.changed();
        return feeds;
    }

    private static boolean ready(InstanceState s) {
        return s == InstanceState.HEALTHY || s == InstanceState.RUNNING;
    }

    private void onEvent(PoolEvent e) {
        if (ready(e.from()) != ready(e.to())) {
            changed();
        }
    }

    /**
     * The ready set may have changed: write the feeds (now, or once more after the write under
     * way). Also called on a cluster node whenever another node reports (only changed text is
     * written).
     */
    public void changed() {
        dirty.set(true);
        if (!closed && running.compareAndSet(false, true)) {
            blocking.execute(this::drain);
        }
    }

    private void drain() {
        try {
            while (!closed && dirty.getAndSet(false)) {
                List<FeedSettings> feeds = pool.settings().feeds();
                if (feeds.isEmpty()) {
                    continue;
                }
                PoolStatus status;
                try {
                    status = pool.status().toCompletableFuture().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.warn("feeds: no status from the pool ({}); trying again on the next change", e.toString());
                    continue;
                }
                for (FeedSettings f : feeds) {
                    write(f, status);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.set(false);
            // A change that came after the last look but before running was cleared is not lost.
            if (dirty.get() && !closed && running.compareAndSet(false, true)) {
                blocking.execute(this::drain);
            }
        }
    }

    private void write(FeedSettings f, PoolStatus status) throws InterruptedException {
        BackendFormats.Format format = BackendFormats.Format.named(f.name());
        String text = format == BackendFormats.Format.ENVOY
                ? BackendFormats.envoy(status, version.incrementAndGet()).toPrettyString()
                : BackendFormats.render(format, status, f.keepalive());
        String envoyFree = format == BackendFormats.Format.ENVOY ? BackendFormats.envoy(status, 0).toString() : text;
        if (envoyFree.equals(written.get(f.file()))) {
            return;
        }
        try {
            Files.createDirectories(f.file().toAbsolutePath().getParent());
            Path temp = Files.createTempFile(f.file().toAbsolutePath().getParent(), "." + f.file().getFileName(), ".tmp");
            try {
                Files.writeString(temp, text, StandardCharsets.UTF_8);
                Files.move(temp, f.file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            LOG.error("feeds: cannot write the {} feed {} (procpool.feeds.{}.file): {}", f.name(), f.file(), f.name(), e.toString());
            return;
        }
        written.put(f.file(), envoyFree);
        writes.incrementAndGet();
        LOG.debug("feeds: wrote the {} feed {}", f.name(), f.file());
        if (!f.reloadCommand().isEmpty()) {
            reload(f);
        }
    }

    private static void reload(FeedSettings f) throws InterruptedException {
        Path output = null;
        try {
            // Its output goes to a file, not a pipe: a command that leaves a daemon behind holding
            // the pipe open would otherwise keep this writer waiting for ever.
            output = Files.createTempFile("procpool-feed-reload", ".log");
            ProcessBuilder reload = new ProcessBuilder(f.reloadCommand()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // Never procpool's own configuration (it may hold the admin token), as for every child.
            reload.environment().keySet().removeIf(io.procpool.config.EnvironmentOverrides::isProcpoolsOwn);
            Process p = reload.start();
            if (!p.waitFor(RELOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.error("feeds: the {} reload command did not finish within {} s; killed (procpool.feeds.{}.reload-command)",
                        f.name(), RELOAD_TIMEOUT_SECONDS, f.name());
            } else if (p.exitValue() != 0) {
                String said = Files.readString(output, StandardCharsets.UTF_8);
                LOG.error("feeds: the {} reload command exited {} (procpool.feeds.{}.reload-command): {}", f.name(), p.exitValue(),
                        f.name(), said.length() > 4000 ? said.substring(0, 4000) : said.strip());
            }
        } catch (IOException e) {
            LOG.error("feeds: cannot run the {} reload command {} (procpool.feeds.{}.reload-command): {}", f.name(),
                    f.reloadCommand(), f.name(), e.toString());
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file left in the temp dir; nothing else depends on it
                }
            }
        }
    }

    /** Feed files written so far (for tests). */
    long writes() {
        return writes.get();
    }

    @Override
    public void close() {
        closed = true;
        Subscription s = subscription;
        if (s != null) {
            s.close();
        }
    }
}
