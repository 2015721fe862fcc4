package io.procpool.internal.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies children's output from pipes into their log files, each line prefixed with the time it
 * was read ({@code log.timestamps}): one thread waiting in {@code epoll_wait} on the read end of
 * every such pipe, as {@link PidReaper} does for exits.
 *
 * <p>The cost of it, against the child writing its file directly: procpool is in the data path.
 * Every write of the child is a {@code read} and a {@code write} here (measured in
 * docs/benchmarks.md); a child whose output outpaces this thread blocks once the pipe's 64 KiB are
 * full; and output written after procpool died is lost (the child gets SIGPIPE at its next write),
 * where a file written directly keeps it. So it is used only where asked for.
 *
 * <p>A pipe is drained until every process holding its write end has closed it (the child and
 * whatever it forked with its stdout); then its file is closed.
 */
final class OutputPump implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);

    private static final int O_CLOEXEC = 0x80000;
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 1;
    private static final int EINTR = 4;
    private static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    private static final int EVENT_DATA = Platform.isIntel() ? 4 : 8;
    private static final int MAX_EVENTS = 32;
    private static final int CHUNK = 64 * 1024;
    private static final long WAKE = 0;

    private static final LibC C = LibC.C;

    /**
     * The two calls made for every chunk a child writes, bound by JNA's direct mapping: a call
     * through a {@link LibC} proxy cost several microseconds (reflection, boxing) on procpool's
     * C1-only JIT, more than the system call.
     */
    private static final class Hot {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeout);

        static native long read(int fd, Pointer buf, long count);
    }

    private final int epfd;
    private final int wakeFd;
    private final Map<Long, Sink> sinks = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong(WAKE);
    private final Thread thread;
    private volatile boolean closed;

    /** One pipe's read end and where its lines go. */
    private record Sink(int fd, FileChannel file, TimestampedLines lines) {
    }

    private OutputPump(int epfd, int wakeFd) {
        this.epfd = epfd;
        this.wakeFd = wakeFd;
        this.thread = io.procpool.internal.Threads.daemon(this::loop, "procpool-output");
        thread.start();
    }

    /** A pump, or an error when the kernel gives no epoll or eventfd. */
    static OutputPump open() {
        int epfd = C.epoll_create1(EPOLL_CLOEXEC);
        int wake = WakeFd.open();
        if (epfd < 0 || wake < 0 || C.epoll_ctl(epfd, EPOLL_CTL_ADD, wake, event(WAKE)) != 0) {
            throw new IllegalStateException("cannot set up the output pump (errno " + Native.getLastError() + ")");
        }
        return new OutputPump(epfd, wake);
    }

    /**
     * A pipe whose lines go to {@code file}: {@link Pipe#writeFd} is for the child's stdout or
     * stderr, and after the start {@link Pipe#started} (or {@link Pipe#cancel} when it failed).
     */
    Pipe pipe(Path file) {
        int[] fds = new int[2];
        if (C.pipe2(fds, O_CLOEXEC) != 0) {
            throw new IllegalStateException("pipe2 failed: errno " + Native.getLastError());
        }
        return new Pipe(fds[0], fds[1], file);
    }

    /** A pipe between a child about to start and this pump. */
    final class Pipe {
        private final int readFd;
        private final int writeFd;
        private final Path file;

        private Pipe(int readFd, int writeFd, Path file) {
            this.readFd = readFd;
            this.writeFd = writeFd;
            this.file = file;
        }

        int writeFd() {
            return writeFd;
        }

        /** The child has started with the write end: this process lets go of it and drains the read end. */
        void started() {
            C.close(writeFd);
            FileChannel channel;
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                log.warn("cannot open {} ({}); the output of its child is lost", file, e.toString());
                C.close(readFd);
                return;
            }
            long token = tokens.incrementAndGet();
            sinks.put(token, new Sink(readFd, channel, new TimestampedLines()));
            if (C.epoll_ctl(epfd, EPOLL_CTL_ADD, readFd, event(token)) != 0) {
                log.warn("cannot watch the output pipe of {} (errno {}); its output is lost", file, Native.getLastError());
                finish(token);
            }
        }

        /** The start failed: both ends are closed. */
        void cancel() {
            C.close(writeFd);
            C.close(readFd);
        }
    }

    private static Memory event(long data) {
        Memory ev = new Memory(16);
        ev.clear();
        ev.setInt(0, EPOLLIN);
        ev.setLong(EVENT_DATA, data);
        return ev;
    }

    private void loop() {
        Memory events = new Memory((long) EVENT_SIZE * MAX_EVENTS);
        Memory buf = new Memory(CHUNK);
        byte[] bytes = new byte[CHUNK];
        while (!closed) {
            int n = Hot.epoll_wait(epfd, events, MAX_EVENTS, -1);
            if (n < 0) {
                if (Native.getLastError() == EINTR) {
                    continue;
                }
                log.error("epoll_wait failed (errno {}); timestamped output is no longer copied", Native.getLastError());
                return;
            }
            for (int i = 0; i < n; i++) {
                long token = events.getLong((long) i * EVENT_SIZE + EVENT_DATA);
                if (token != WAKE) {
                    drain(token, buf, bytes);
                }
            }
        }
    }

    /** One read from the pipe under {@code token}: its lines to the file, or at its end the file closed. */
    private void drain(long token, Memory buf, byte[] bytes) {
        Sink sink = sinks.get(token);
        if (sink == null) {
            return;
        }
        long n = Hot.read(sink.fd(), buf, CHUNK);
        if (n < 0 && Native.getLastError() == EINTR) {
            return;
        }
        if (n <= 0) {
            finish(token);
            return;
        }
        buf.read(0, bytes, 0, (int) n);
        ByteBuffer out = ByteBuffer.wrap(sink.lines().feed(bytes, (int) n, Instant.now()));
        try {
            while (out.hasRemaining()) {
                sink.file().write(out);
            }
        } catch (IOException e) {
            log.debug("cannot write to a log file: {}", e.toString());
        }
    }

    private void finish(long token) {
        Sink sink = sinks.remove(token);
        if (sink == null) {
            return;
        }
        C.epoll_ctl(epfd, EPOLL_CTL_DEL, sink.fd(), null);
        C.close(sink.fd());
        try {
            sink.file().close();
        } catch (IOException e) {
            log.debug("closing a log file: {}", e.toString());
        }
    }

    /** Stops the thread and closes every pipe: a child still writing gets SIGPIPE. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (WakeFd.wakeAndJoin(wakeFd, thread)) {
            sinks.keySet().forEach(this::finish);
            C.close(wakeFd);
            C.close(epfd);
        }
    }
}
