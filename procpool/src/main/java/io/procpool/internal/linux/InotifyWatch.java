package io.procpool.internal.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.procpool.spi.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears of the files written in one directory from inotify, and passes them on in rounds at least
 * a period apart, on a thread of its own: a round comes a period after the first write it names;
 * until then the kernel queues the writes' events (merging repeats of the same file's), and one
 * round names each file written since the last once.
 *
 * <p>Why rounds: the children write their log files themselves, so procpool is not in the data
 * path; reacting to every write would put it back there in CPU. The JDK's {@code WatchService}
 * woke two threads per write (its own reader and the rotator): four services logging a thousand
 * lines a second each cost procpool 7 % of a core (bench/log_cost.py). Now that is at most ten
 * wake-ups a second, however fast the children write.
 */
final class InotifyWatch implements Platform.WriteWatch {

    private static final Logger log = LoggerFactory.getLogger(InotifyWatch.class);

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
    private final Duration period;
    private final Consumer<Optional<Set<Path>>> written;
    private final int inotify;
    private final int wake;
    private final Thread thread;
    private volatile boolean closed;

    InotifyWatch(Path dir, Duration period, Consumer<Optional<Set<Path>>> written) throws IOException {
        this.dir = dir;
        this.period = period;
        this.written = written;
        int fd = C.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot watch " + dir + ": inotify_init1 failed (errno "
                    + Native.getLastError() + "; fs.inotify.max_user_instances reached?)");
        }
        if (C.inotify_add_watch(fd, dir.toString(), IN_MODIFY | IN_CREATE) < 0) {
            int errno = Native.getLastError();
            C.close(fd);
            throw new IOException("cannot watch " + dir + ": inotify_add_watch failed (errno " + errno + ")");
        }
        int w = WakeFd.open();
        if (w < 0) {
            C.close(fd);
            throw new IOException("cannot watch " + dir + ": eventfd failed (errno " + Native.getLastError() + ")");
        }
        this.inotify = fd;
        this.wake = w;
        this.thread = io.procpool.internal.Threads.daemon(this::run, "procpool-logs");
        this.thread.start();
    }

    @Override
    public void renew() {
        if (!closed && C.inotify_add_watch(inotify, dir.toString(), IN_MODIFY | IN_CREATE) < 0) {
            log.warn("cannot watch {} (errno {}); its files are checked only when their instance starts",
                    dir, Native.getLastError());
        }
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
        Pointer wakeOnly = fds.share(8, 8);
        while (!closed) {
            if (!await(fds, 2, -1)) {
                return;
            }
            // Let the writes of a period gather in the kernel's queue, from the first one heard:
            // a round is never at the moment of the write that began it. That write is often the
            // marker line a start writes just before its child is spawned, and a round then took
            // the second core from the spawn (bench/analysis.md, "Eighth pass").
            if (!await(wakeOnly, 1, (int) period.toMillis())) {
                return;
            }
            Set<Path> names = new HashSet<>();
            boolean overflow = drain(events, names);
            try {
                written.accept(overflow ? Optional.empty() : Optional.of(names));
            } catch (RuntimeException e) {
                log.warn("handling the writes in {} failed", dir, e);
            }
        }
    }

    /** Polls; false when the thread is to end (closed, or poll failed for good). */
    private boolean await(Pointer fds, int n, int timeoutMillis) {
        while (true) {
            int rc = C.poll(fds, n, timeoutMillis);
            if (rc >= 0) {
                return !closed;
            }
            if (Native.getLastError() != EINTR) {
                log.error("poll on the inotify of {} failed (errno {}); its writes are no longer heard", dir, Native.getLastError());
                return false;
            }
        }
    }

    /** Reads every queued event; collects the names written; true when the kernel's queue overflowed. */
    private boolean drain(Memory buf, Set<Path> names) {
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
                    names.add(Path.of(buf.getString(off + EVENT_HEADER, "UTF-8")));
                }
                off += EVENT_HEADER + len;
            }
        }
    }

    @Override
    public void close() {
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
