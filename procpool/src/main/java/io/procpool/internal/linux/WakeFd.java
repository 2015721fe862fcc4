package io.procpool.internal.linux;

import com.sun.jna.Memory;

/**
 * The eventfd a native waiting thread ({@link PidReaper} in {@code epoll_wait},
 * {@link LogRotator} in {@code poll}) also waits on, so that closing can wake it: one of these
 * per such thread, and the same way of ending it.
 */
final class WakeFd {

    private static final int EFD_CLOEXEC = 0x80000;
    private static final LibC C = LibC.C;

    private WakeFd() {
    }

    /** A new eventfd; negative when the kernel would not give one. */
    static int open() {
        return C.eventfd(0, EFD_CLOEXEC);
    }

    /**
     * Makes {@code fd} readable and waits up to two seconds for {@code thread} to end.
     *
     * @return true when the thread has ended (its descriptors, {@code fd} included, may be closed)
     */
    static boolean wakeAndJoin(int fd, Thread thread) {
        Memory one = new Memory(8);
        one.setLong(0, 1);
        C.write(fd, one, 8);
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
