package io.procpool.process;

import io.procpool.config.LogSettings;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every instance's log file under its size cap. It watches the log directory for writes
 * (inotify on Linux) instead of polling, so an idle pool costs nothing and a fast writer is caught
 * within one batch of events. Runs on its own daemon thread; nothing here touches an actor.
 */
final class LogRotator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogRotator.class);

    private final Path dir;
    private final WatchService watcher;
    private final Map<Path, LogSettings> watched = new ConcurrentHashMap<>();
    private final Thread thread;

    LogRotator(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.watcher = dir.getFileSystem().newWatchService();
        dir.register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
        this.thread = ChildRegistry.daemon(this::run, "procpool-logs");
        this.thread.start();
    }

    /** Rotates {@code file} by {@code settings} from now on (and once now, if it is already over). */
    void watch(Path file, LogSettings settings) {
        watched.put(file.getFileName(), settings);
        check(file, settings);
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        watched.forEach((name, s) -> check(dir.resolve(name), s));
                    } else if (event.context() instanceof Path name) {
                        LogSettings s = watched.get(name);
                        if (s != null) {
                            check(dir.resolve(name), s);
                        }
                    }
                }
                key.reset();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
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
    public void close() throws IOException {
        watcher.close();
    }
}
