package io.procpool.internal.linux;

import com.sun.jna.Native;

/**
 * What the JDK does not offer for signals: {@code kill(2)} with any signal, and on a whole
 * process group. Every call is a plain system call that cannot block.
 */
public final class Posix {

    private static final int ESRCH = 3;

    private static final LibC C = LibC.C;

    private Posix() {
    }

    /**
     * Sends {@code signal} to every process in group {@code pgid}.
     *
     * @return false when the group does not exist (any more)
     */
    public static boolean killGroup(long pgid, int signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        return C.kill((int) -pgid, signal) == 0;
    }

    /** Sends {@code signal} to the single process {@code pid}; false when it does not exist. */
    public static boolean kill(long pid, int signal) {
        if (pid <= 1) {
            throw new IllegalArgumentException("refusing to signal process " + pid);
        }
        return C.kill((int) pid, signal) == 0;
    }

    /**
     * True while group {@code pgid} has a member that is not a zombie (one we may not signal
     * counts too). The common answer, "no such group", costs one system call; only a group that
     * still exists is looked up in {@code /proc} to tell its zombies from the living.
     */
    public static boolean groupExists(long pgid) {
        return groupHasProcess(pgid) && ProcessTable.hasLiveMember(pgid);
    }

    /** True while group {@code pgid} has any process, a zombie too (or one we may not signal): one {@code kill(2)}. */
    static boolean groupHasProcess(long pgid) {
        return pgid > 1 && (C.kill((int) -pgid, 0) == 0 || Native.getLastError() != ESRCH);
    }

    /** True while process {@code pid} exists, a zombie too (or one we may not signal): one {@code kill(2)}. */
    static boolean processExists(long pid) {
        return pid > 0 && (C.kill((int) pid, 0) == 0 || Native.getLastError() != ESRCH);
    }
}
