package io.procpool.internal.linux;

import io.procpool.api.ExitStatus;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns of the exit of the children {@link PosixSpawn} started, and reaps them: one thread
 * waiting in {@code epoll_wait} on a {@code pidfd} per child (Linux 5.3+), which becomes readable
 * when the child exits; {@code waitid(P_PIDFD)} then collects it and its status.
 *
 * <p>Why: the JDK spends a thread per child blocked in {@code waitpid} (500 children, 500
 * threads). A pidfd also names exactly one process, so there is no reaping of a stranger, no
 * {@code waitpid(-1)} that would steal the exits of the processes an embedding application starts
 * itself, and no race with pid reuse.
 *
 * <p>{@link #open} returns empty where pidfds are missing (older kernels, seccomp filters); the
 * launcher then uses the JDK's process API instead.
 */
final class PidReaper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PidReaper.class);

    private static final int SYS_PIDFD_OPEN = 434; // the same number on every architecture since Linux 5.3
    private static final int P_PIDFD = 3;
    private static final int WEXITED = 4;
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 1;
    private static final int EINTR = 4;
    private static final int CLD_EXITED = 1;
    /** x86 packs struct epoll_event (12 bytes); other architectures align its 64-bit data (16). */
    private static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    private static final int EVENT_DATA = Platform.isIntel() ? 4 : 8;
    private static final int MAX_EVENTS = 64;
    /** The event data that stands for "wake up and look at closed" in the epoll set. */
    private static final long WAKE = 0;

    private static final LibC C = LibC.C;

    private final int epfd;
    private final int wakeFd;
    /** By the token each watch puts in its epoll event: never reused, unlike fd numbers. */
    private final Map<Long, Waiting> waiting = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong tokens = new java.util.concurrent.atomic.AtomicLong(WAKE);
    private final Thread thread;
    private volatile boolean closed;

    private record Waiting(int pid, int pidfd, CompletableFuture<ExitStatus> exit) {
    }

    private PidReaper(int epfd, int wakeFd) {
        this.epfd = epfd;
        this.wakeFd = wakeFd;
        this.thread = io.procpool.internal.Threads.daemon(this::loop, "procpool-reaper");
        this.thread.start();
    }

    /** A reaper, or empty when this kernel cannot give a pidfd for a child. */
    static java.util.Optional<PidReaper> open() {
        try {
            long self = C.syscall(SYS_PIDFD_OPEN, (int) ProcessHandle.current().pid(), 0);
            if (self < 0) {
                return java.util.Optional.empty();
            }
            C.close((int) self);
            int epfd = C.epoll_create1(EPOLL_CLOEXEC);
            int wake = WakeFd.open();
            if (epfd < 0 || wake < 0) {
                return java.util.Optional.empty();
            }
            Memory ev = event(WAKE);
            if (C.epoll_ctl(epfd, EPOLL_CTL_ADD, wake, ev) != 0) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new PidReaper(epfd, wake));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static Memory event(long data) {
        Memory ev = new Memory(16);
        ev.clear();
        ev.setInt(0, EPOLLIN);
        ev.setLong(EVENT_DATA, data);
        return ev;
    }

    /**
     * Watches child {@code pid} (which must be this JVM's child and not yet reaped by anyone):
     * the stage completes with its status once it has exited and been reaped.
     *
     * @throws IllegalStateException when no pidfd can be had for it (then nothing reaps it here)
     */
    CompletableFuture<ExitStatus> watch(int pid) {
        long pidfd = C.syscall(SYS_PIDFD_OPEN, pid, 0);
        if (pidfd < 0) {
            throw new IllegalStateException("pidfd_open(" + pid + ") failed: errno " + Native.getLastError());
        }
        Waiting w = new Waiting(pid, (int) pidfd, new CompletableFuture<>());
        long token = tokens.incrementAndGet();
        waiting.put(token, w);
        if (C.epoll_ctl(epfd, EPOLL_CTL_ADD, (int) pidfd, event(token)) != 0) {
            waiting.remove(token);
            C.close((int) pidfd);
            throw new IllegalStateException("epoll_ctl for pid " + pid + " failed: errno " + Native.getLastError());
        }
        return w.exit();
    }

    private void loop() {
        Memory events = new Memory((long) EVENT_SIZE * MAX_EVENTS);
        Memory siginfo = new Memory(128);
        while (!closed) {
            int n = C.epoll_wait(epfd, events, MAX_EVENTS, -1);
            if (n < 0) {
                if (Native.getLastError() == EINTR) {
                    continue;
                }
                log.error("epoll_wait failed (errno {}); children's exits are no longer seen", Native.getLastError());
                return;
            }
            // Every exit of the batch is collected before anyone hears of one: what the callers
            // then ask about the exited groups (one /proc pass each when asked one by one) is
            // answered for all of them by one pass that began after the last of these exits.
            java.util.List<Runnable> heard = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long data = events.getLong((long) i * EVENT_SIZE + EVENT_DATA);
                if (data == WAKE) {
                    continue;
                }
                Runnable tell = reap(data, siginfo);
                if (tell != null) {
                    heard.add(tell);
                }
            }
            heard.forEach(Runnable::run);
        }
    }

    /**
     * The child watched under {@code token} has exited: take its pidfd out of the set, collect the
     * child, close the pidfd. Returns what tells its watcher (null for a stale event).
     *
     * <p>Why the explicit delete and the token: closing a pidfd drops it from the epoll set only
     * when no other reference to it is left, and a process that another thread is starting at that
     * moment holds a copy of every descriptor until its exec. A registration that outlived its
     * close went on reporting the exited child under its old fd number; once a new watch had been
     * given that number, those stale reports closed the new pidfd or reaped the new child unseen,
     * and a crash went unnoticed (left a zombie). An event now names a watch that ends here, once.
     */
    private Runnable reap(long token, Memory siginfo) {
        Waiting w = waiting.remove(token);
        if (w == null) {
            return null;
        }
        C.epoll_ctl(epfd, EPOLL_CTL_DEL, w.pidfd(), null);
        siginfo.clear();
        int rc;
        do {
            rc = C.waitid(P_PIDFD, w.pidfd(), siginfo, WEXITED);
        } while (rc != 0 && Native.getLastError() == EINTR);
        int err = Native.getLastError();
        C.close(w.pidfd());
        if (rc != 0) {
            // Reaped by someone else (a waitpid(-1) elsewhere in the JVM): the status is lost.
            log.warn("pid {} exited but its status could not be collected (errno {})", w.pid(), err);
            return () -> w.exit().complete(new ExitStatus(-1));
        }
        // siginfo_t: si_signo, si_errno, si_code, (pad), si_pid, si_uid, si_status
        int code = siginfo.getInt(8);
        int status = siginfo.getInt(24);
        ExitStatus exit = new ExitStatus(code == CLD_EXITED ? status : 128 + status);
        return () -> w.exit().complete(exit);
    }

    /**
     * Stops the thread. Children still running are not reaped by it any more; their futures stay
     * incomplete (the launcher is closed only after every child is gone, or at JVM exit).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (WakeFd.wakeAndJoin(wakeFd, thread)) {
            waiting.values().forEach(w -> C.close(w.pidfd()));
            C.close(wakeFd);
            C.close(epfd);
        }
    }
}
