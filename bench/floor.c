/*
 * floor: the least a supervisor can do, as the benchmark's yardstick.
 *
 *   floor PROGRAM FIRST_PORT COUNT
 *
 * fork/execs "PROGRAM PORT" for COUNT consecutive ports, starts a new one the moment one exits
 * (no backoff, no probe, no log file: stdout and stderr go to /dev/null), and on SIGTERM or
 * SIGINT sends SIGTERM to every child, waits for all of them and exits 0. Signals are taken
 * synchronously with sigwaitinfo, so there is no handler and no race with waitpid.
 *
 * Whatever procpool, supervisord or PM2 measure above this program's figures is their own cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *pids;
static int count, first_port;
static const char *program;

static pid_t spawn(int index) {
    pid_t pid = fork();
    if (pid < 0) {
        perror("floor: fork");
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
            if (null > 2) close(null);
        }
        char port[16];
        snprintf(port, sizeof port, "%d", first_port + index);
        execl(program, program, port, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int slot_of(pid_t pid) {
    for (int i = 0; i < count; i++)
        if (pids[i] == pid) return i;
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor PROGRAM FIRST_PORT COUNT\n");
        return 2;
    }
    program = argv[1];
    first_port = atoi(argv[2]);
    count = atoi(argv[3]);
    if (count <= 0 || first_port <= 0) {
        fprintf(stderr, "floor: bad port or count\n");
        return 2;
    }
    pids = calloc((size_t)count, sizeof *pids);
    if (!pids) return 1;

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);

    int stopping = 0, alive = 0;
    for (int i = 0; i < count; i++) {
        pids[i] = spawn(i);
        if (pids[i] > 0) alive++;
    }
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&sigs, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            perror("floor: sigwaitinfo");
            return 1;
        }
        if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
            stopping = 1;
            for (int i = 0; i < count; i++)
                if (pids[i] > 0) kill(pids[i], SIGTERM);
        }
        /* SIGCHLD (or a stop): reap everything that has ended; several exits can share a signal. */
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            int i = slot_of(pid);
            if (i < 0) continue;
            pids[i] = 0;
            alive--;
            if (!stopping) {
                pids[i] = spawn(i);
                if (pids[i] > 0) alive++;
            }
        }
        if (stopping && alive <= 0) return 0;
    }
}
