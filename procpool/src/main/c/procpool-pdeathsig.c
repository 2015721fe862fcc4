/*
 * procpool-pdeathsig PARENT_PID PROGRAM [ARG...]
 *
 * What procpool puts in front of a command when children die with the manager (the default,
 * pool.children-die-with-manager = true): it asks the kernel for SIGTERM at the death of its
 * parent (prctl PR_SET_PDEATHSIG), checks that the parent is still PARENT_PID (a manager that died
 * between the spawn and the prctl would otherwise leave the child running, as setpriv does), and
 * execs PROGRAM with the arguments that follow it and the environment it was given.
 *
 * Why not `setpriv --pdeathsig TERM --`, which procpool used before and still uses when this
 * program is not beside the jar: the signal can only be asked for by the child itself, between its
 * fork and its exec, so it costs one more exec on every start and on every restart after a crash,
 * and setpriv's exec is a dynamically linked program's (the loader, libc, libcap-ng). posix_spawn
 * of a trivial program, then its exit, 200 times, p50 on the benchmark machine: 0.49 ms without
 * anything in front, 1.25 ms behind setpriv, 0.82 ms behind this program linked statically against
 * glibc, 0.54 ms behind it built freestanding (no C library: three system calls and an exec). So on
 * x86-64 it is built freestanding (FREESTANDING, below); elsewhere against the C library.
 *
 * Exit status: 2 for a wrong command line, 125 when the parent is already gone (nothing started),
 * 127 when PROGRAM cannot be executed; a line on stderr (the instance's log) says which.
 */

#define DEATH_SIGNAL 15 /* SIGTERM, as setpriv --pdeathsig TERM */
#define PR_SET_PDEATHSIG_ 1

#ifdef FREESTANDING

#if !defined(__x86_64__)
#error "the freestanding build is for x86-64; build without -DFREESTANDING elsewhere"
#endif

#define SYS_write 1
#define SYS_execve 59
#define SYS_exit 60
#define SYS_getppid 110
#define SYS_prctl 157

static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

/* The kernel answers -errno. */
static long set_death_signal(void) { return sys3(SYS_prctl, PR_SET_PDEATHSIG_, DEATH_SIGNAL, 0); }
static long parent(void) { return sys3(SYS_getppid, 0, 0, 0); }
static long run(char *program, char **argv, char **envp) { return -sys3(SYS_execve, (long) program, (long) argv, (long) envp); }
static void put(const char *s) {
    long n = 0;
    while (s[n]) {
        n++;
    }
    sys3(SYS_write, 2, (long) s, n);
}
__attribute__((noreturn)) static void leave(int status) {
    for (;;) {
        sys3(SYS_exit, status, 0, 0);
    }
}

static int helper(int argc, char **argv, char **envp);

/* The kernel's entry: the stack holds argc, argv[0..argc-1], NULL, then the environment. */
__attribute__((used, noreturn)) static void start(long *stack) {
    int argc = (int) stack[0];
    char **argv = (char **) (stack + 1);
    leave(helper(argc, argv, argv + argc + 1));
}
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call start\n");

#else

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static long set_death_signal(void) { return prctl(PR_SET_PDEATHSIG, DEATH_SIGNAL) == 0 ? 0 : -errno; }
static long parent(void) { return getppid(); }
static long run(char *program, char **argv, char **envp) {
    execve(program, argv, envp);
    return errno;
}
static void put(const char *s) {
    if (write(2, s, strlen(s)) < 0) {
        /* nowhere else to say it */
    }
}
static int helper(int argc, char **argv, char **envp);

extern char **environ;

int main(int argc, char **argv) {
    return helper(argc, argv, environ);
}

#endif

static void put_number(long n) {
    char digits[24];
    int i = sizeof digits - 1;
    digits[i] = 0;
    do {
        digits[--i] = (char) ('0' + n % 10);
        n /= 10;
    } while (n > 0 && i > 0);
    put(digits + i);
}

static int helper(int argc, char **argv, char **envp) {
    long expected = 0;
    const char *p = argc >= 3 ? argv[1] : "";
    if (!*p) {
        put("usage: procpool-pdeathsig PARENT_PID PROGRAM [ARG...]\n");
        return 2;
    }
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || expected > 100000000L) {
            put("procpool-pdeathsig: not a process id: ");
            put(argv[1]);
            put("\n");
            return 2;
        }
        expected = expected * 10 + (*p - '0');
    }
    long failed = set_death_signal();
    if (failed < 0) {
        put("procpool-pdeathsig: prctl(PR_SET_PDEATHSIG) failed, errno ");
        put_number(-failed);
        put("\n");
        return 125;
    }
    /* After the prctl: a parent that dies from here on sends the signal. */
    if (parent() != expected) {
        put("procpool-pdeathsig: procpool (pid ");
        put(argv[1]);
        put(") is gone; not starting ");
        put(argv[2]);
        put("\n");
        return 125;
    }
    long error = run(argv[2], argv + 2, envp);
    put("procpool-pdeathsig: cannot execute ");
    put(argv[2]);
    put(", errno ");
    put_number(error);
    put("\n");
    return 127;
}
