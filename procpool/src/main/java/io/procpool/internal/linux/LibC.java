package io.procpool.internal.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls procpool makes itself (signals, pidfds, epoll, reaping), bound once for the package.
 * {@link PosixSpawn} binds its own: posix_spawn's newer functions may be missing, and then only
 * starting by posix_spawn is unavailable, not everything here.
 */
interface LibC extends Library {

    LibC C = Native.load("c", LibC.class);

    int kill(int pid, int sig);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int waitpid(int pid, int[] status, int options);

    int getsid(int pid);

    int pipe2(int[] fds, int flags);

    /** struct passwd of {@code name}, or null; glibc's static buffer: callers serialize. */
    Pointer getpwnam(String name);

    Pointer getpwuid(int uid);

    long sysconf(int name);

    long syscall(long number, Object... args);

    int epoll_create1(int flags);

    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeout);

    int eventfd(int initval, int flags);

    int waitid(int idType, int id, Pointer siginfo, int options);

    long write(int fd, Pointer buf, long count);

    long read(int fd, Pointer buf, long count);

    int close(int fd);

    int poll(Pointer fds, long nfds, int timeout);

    int inotify_init1(int flags);

    int inotify_add_watch(int fd, String path, int mask);
}
