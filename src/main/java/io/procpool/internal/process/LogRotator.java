package io.procpool.internal.process;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.procpool.config.LogSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every instance's log file under its size cap. It learns of writes from inotify on the log
 * directory, so an idle pool costs nothing, and it takes them in rounds at most
 * {@link #MIN_PERIOD} apart: between two rounds the kernel queues the writes' events (merging
 * repeats of the same file's), and one round looks at each file written since the last once.
 *
 * <p>Why rounds: the children write their files themselves, so procpool is not in the data path;
 * reacting to every write would put it back there in CPU. The JDK's {@code WatchService} woke two
 * threads per write (its own reader and this one): four services logging a thousand lines a second
 * each cost procpool 7 % of a core. Now that is at most ten wake-ups a second, however fast the
 * children write. The price: a file may grow past its cap by what its child writes in one period
 * before it is rotated (the rotated copies still hold at most {@code max-size}: see
 * {@link LogFiles#rotateIfOver}).
 *
 * <p>Runs on its own daemon thread; nothing here touches an actor.
 */
final class LogRotator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogRotator.class);

    /** The shortest time between two rounds of checks. */
    static final Duration MIN_PERIOD = Duration.ofMillis(100);

    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int IN_MODIFY = 0x2;
    private static final int IN_CREATE = 0x100;
    private static final int IN_Q_OVERFLOW = 0x4000;
    private static final short POLLIN = 1;
    private static final int EINTR = 4;
    /** struct inotify_event: wd, mask, cookie, len, then len bytes of NUL-padded name. */
    private static final int EVENT_HEADER = 16;
    private static final int BUFFER = 64 * 1024;

    private static final LibC C = LibC.C;

    private final Path dir;
    private final int inotify;
    private final int wake;
    private final Map<Path, LogSettings> watched = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    LogRotator(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        int fd = C.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot watch " + dir + " for log rotation: inotify_init1 failed (errno "
                    + Native.getLastError() + "; fs.inotify.max_user_instances reached?)");
        }
        if (C.inotify_add_watch(fd, dir.toString(), IN_MODIFY | IN_CREATE) < 0) {
            int errno = Native.getLastError();
            C.close(fd);
            throw new IOException("cannot watch " + dir + " for log rotation: inotify_add_watch failed (errno " + errno + ")");
        }
        int w = WakeFd.open();
        if (w < 0) {
            C.close(fd);
            throw new IOException("cannot watch " + dir + " for log rotation: eventfd failed (errno " + Native.getLastError() + ")");
        }
        this.inotify = fd;
        this.wake = w;
        this.thread = ChildRegistry.daemon(this::run, "procpool-logs");
        this.thread.start();
    }

    /**
     * Rotates {@code file} by {@code settings} from now on (and once now, if it is already over).
     * Called at every start of a child, after its log directory was made if it was missing: the
     * directory is watched again, so one removed and made anew is watched too (for the same
     * directory this changes nothing).
     */
    void watch(Path file, LogSettings settings) {
        if (!closed && C.inotify_add_watch(inotify, dir.toString(), IN_MODIFY | IN_CREATE) < 0) {
            log.warn("cannot watch {} for log rotation (errno {}); files are checked only when their instance starts",
                    dir, Native.getLastError());
        }
        watched.put(file.getFileName(), settings);
        check(file, settings);
    }

    private void run() {
        Memory events = new Memory(BUFFER);
        // struct pollfd { int fd; short events; short revents; }: the inotify fd, then the wake fd
        Memory fds = new Memory(16);
        fds.clear();
        fds.setInt(0, inotify);
        fds.setShort(4, POLLIN);
        fds.setInt(8, wake);
        fds.setShort(12, POLLIN);
        com.sun.jna.Pointer wakeOnly = fds.share(8, 8);
        while (!closed) {
            if (!await(fds, 2, -1)) {
                return;
            }
            Set<Path> written = new HashSet<>();
            boolean overflow = drain(events, written);
            if (overflow) {
                watched.forEach((name, s) -> check(dir.resolve(name), s));
            } else {
                for (Path name : written) {
                    LogSettings s = watched.get(name);
                    if (s != null) {
                        check(dir.resolve(name), s);
                    }
                }
            }
            // Let the writes of the next period gather in the kernel's queue.
            if (!await(wakeOnly, 1, (int) MIN_PERIOD.toMillis())) {
                return;
            }
        }
    }

    /** Polls; false when the thread is to end (closed, or poll failed for good). */
    private boolean await(com.sun.jna.Pointer fds, int n, int timeoutMillis) {
        while (true) {
            int rc = C.poll(fds, n, timeoutMillis);
            if (rc >= 0) {
                return !closed;
            }
            if (Native.getLastError() != EINTR) {
                log.error("poll on the log directory's inotify failed (errno {}); logs are no longer rotated",
                        Native.getLastError());
                return false;
            }
        }
    }

    /** Reads every queued event; collects the names written; true when the kernel's queue overflowed. */
    private boolean drain(Memory buf, Set<Path> written) {
        boolean overflow = false;
        while (true) {
            long n = C.read(inotify, buf, BUFFER);
            if (n <= 0) {
                return overflow; // EAGAIN: the queue is empty
            }
            for (long off = 0; off + EVENT_HEADER <= n; ) {
                int mask = buf.getInt(off + 4);
                int len = buf.getInt(off + 12);
                if ((mask & IN_Q_OVERFLOW) != 0) {
                    overflow = true;
                } else if (len > 0) {
                    written.add(Path.of(buf.getString(off + EVENT_HEADER, "UTF-8")));
                }
                off += EVENT_HEADER + len;
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
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (WakeFd.wakeAndJoin(wake, thread)) {
            C.close(inotify);
            C.close(wake);
        }
    }
}
