package io.procpool.cli;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pool.watch-config}: reloads when the configuration file changes on disk. Editors save
 * in bursts (write, rename, chmod), so a change is acted on once the file has been quiet for a
 * moment. Runs on its own daemon thread.
 */
final class ConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final long QUIET_MS = 300;

    private final WatchService watcher;
    private final Thread thread;

    ConfigWatcher(Path file, Runnable onChange) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        this.watcher = FileSystems.getDefault().newWatchService();
        dir.register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
        this.thread = new Thread(() -> run(abs.getFileName(), onChange), "procpool-config-watch");
        thread.setDaemon(true);
        thread.start();
        log.info("watching {} for changes", abs);
    }

    private void run(Path name, Runnable onChange) {
        try {
            while (true) {
                WatchKey key = watcher.take();
                boolean ours = drain(key, name);
                // Wait until the file has been quiet, then act once.
                while (ours) {
                    WatchKey more = watcher.poll(QUIET_MS, TimeUnit.MILLISECONDS);
                    if (more == null) {
                        onChange.run();
                        break;
                    }
                    drain(more, name);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private static boolean drain(WatchKey key, Path name) {
        boolean ours = false;
        for (WatchEvent<?> e : key.pollEvents()) {
            ours |= name.equals(e.context());
        }
        key.reset();
        return ours;
    }

    @Override
    public void close() throws IOException {
        watcher.close();
    }
}
