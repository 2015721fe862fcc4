package io.procpool.cli;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code procpool.watch-config}: reloads when what the configuration file reads as changes.
 *
 * <p>It watches directories, not the file's name: the file's own directory and, when the file is
 * a symlink, the directory of what it points to. A Kubernetes ConfigMap is mounted as
 * {@code pool.conf -> ..data/pool.conf} with {@code ..data -> ..2026_x}, and an update writes a
 * new {@code ..2026_y} and renames a new {@code ..data} symlink over the old one: no event ever
 * names {@code pool.conf}. So any event in a watched directory leads to reading the file (through
 * its symlinks) once the directory has been quiet for a moment (editors and the kubelet write in
 * bursts), and a reload happens only when the bytes differ from those last seen. Runs on its own
 * daemon thread; the reload itself is {@code onChange}'s.
 */
final class ConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final long QUIET_MS = 300;
    /** A directory that never goes quiet (a busy neighbour) still gets the file looked at this often. */
    private static final long LONGEST_WAIT_MS = 3000;

    private final Path file;
    private final WatchService watcher;
    private final Set<Path> watched = new LinkedHashSet<>();
    private final Thread thread;
    /** The digest of the content last seen (or reloaded); touched only by the watch thread after the constructor. */
    private byte[] seen;

    ConfigWatcher(Path file, Runnable onChange) throws IOException {
        this.file = file.toAbsolutePath();
        this.watcher = FileSystems.getDefault().newWatchService();
        this.seen = digest(this.file);
        watchDirectories();
        this.thread = new Thread(() -> run(onChange), "procpool-config-watch");
        thread.setDaemon(true);
        thread.start();
        log.info("watching {} for changes", this.file);
    }

    /** The file's directory, and that of every link on the way to the real file; new ones as links change. */
    private void watchDirectories() throws IOException {
        Path at = file;
        for (int hop = 0; hop < 40; hop++) {
            register(at.getParent());
            if (!Files.isSymbolicLink(at)) {
                break;
            }
            at = at.getParent().resolve(Files.readSymbolicLink(at)).normalize();
        }
        try {
            register(file.toRealPath().getParent());
        } catch (IOException e) {
            // Missing for a moment (a swap under way): the next event looks again.
        }
    }

    private void register(Path dir) throws IOException {
        if (dir != null && Files.isDirectory(dir) && watched.add(dir)) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
    }

    private void run(Runnable onChange) {
        try {
            while (true) {
                drain(watcher.take());
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LONGEST_WAIT_MS);
                WatchKey more;
                while ((more = watcher.poll(QUIET_MS, TimeUnit.MILLISECONDS)) != null && System.nanoTime() < deadline) {
                    drain(more);
                }
                if (more != null) {
                    drain(more);
                }
                check(onChange);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private void check(Runnable onChange) {
        watched.removeIf(dir -> !Files.isDirectory(dir));
        try {
            watchDirectories();
        } catch (IOException | ClosedWatchServiceException e) {
            log.debug("watching the directories of {}: {}", file, e.toString());
        }
        byte[] now = digest(file);
        if (now != null && !Arrays.equals(now, seen)) {
            seen = now;
            onChange.run();
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /** The SHA-256 of the file's bytes (symlinks followed), or null while it cannot be read. */
    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
    }
}
