package io.procpool.internal.process;

import io.procpool.config.LogSettings;
import io.procpool.spi.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every instance's log file under its size cap. It hears of writes from the platform
 * ({@link Platform#watchWrites}), so an idle pool costs nothing, in rounds at least
 * {@link #MIN_PERIOD} apart, and each round looks once at each file written since the last.
 *
 * <p>The price of the rounds: a file may grow past its cap by what its child writes in one period
 * before it is rotated (the rotated copies still hold at most {@code max-size}: see
 * {@link LogFiles#rotateIfOver}). Rotation runs on the platform's watch thread, never on an
 * actor's.
 */
final class LogRotator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogRotator.class);

    /** The shortest time between two rounds of checks. */
    static final Duration MIN_PERIOD = Duration.ofMillis(100);

    private final Path dir;
    private final Map<Path, LogSettings> watched = new ConcurrentHashMap<>();
    private final Platform.WriteWatch watch;

    LogRotator(Path dir, Platform platform) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.watch = platform.watchWrites(dir, MIN_PERIOD, this::onWritten);
    }

    /**
     * Rotates {@code file} by {@code settings} from now on. Called at every start of a child,
     * after its log directory was made if it was missing: the directory is watched again, so one
     * removed and made anew is watched too (for the same directory this changes nothing). A file
     * already over its cap is rotated with the first write the watch hears of.
     */
    void watch(Path file, LogSettings settings) {
        watch.renew();
        watched.put(file.getFileName(), settings);
    }

    private void onWritten(Optional<Set<Path>> names) {
        if (names.isEmpty()) {
            watched.forEach((name, s) -> check(dir.resolve(name), s)); // the platform lost track: look at all
            return;
        }
        for (Path name : names.get()) {
            LogSettings s = watched.get(name);
            if (s != null) {
                check(dir.resolve(name), s);
            }
        }
    }

    private void check(Path file, LogSettings settings) {
        try {
            if (LogFiles.rotateIfOver(file, settings)) {
                log.debug("rotated {}", file);
            }
        } catch (IOException e) {
            log.warn("cannot rotate {}: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        watch.close();
    }
}
