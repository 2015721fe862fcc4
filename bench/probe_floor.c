/*
 * The floor of probing: what asking N local HTTP servers "are you well?" every interval costs a
 * process that does nothing else, to set procpool's probe CPU beside. One thread, one epoll set,
 * one kept HTTP/1.1 connection per port (as procpool's NioHealthProbe keeps them), the same
 * request procpool sends, and the probes spread evenly (port i in slot i % 10) over a grid of a
 * tenth of the interval, the grid procpool coalesces its probe timers onto: the same system calls,
 * the same wake-ups of the children, none of the JVM.
 *
 *   probe_floor FIRST_PORT N INTERVAL_MS WARMUP_S SECONDS
 *
 * Probes for WARMUP_S seconds, then counts its own CPU (getrusage) over SECONDS more, and prints
 * one JSON line: {"probes": ..., "failed": ..., "skipped": ..., "cpu_s": ..., "seconds": ...}.
 * It ends by itself; loopback only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 10
#define BUF 4096

typedef struct {
    int fd, port, pending, have;
    char buf[BUF];
} probe;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double cpu_s(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int open_conn(int ep, probe *p) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    p->fd = fd;
    p->have = 0;
    return 0;
}

static void drop(probe *p) {
    if (p->fd >= 0) close(p->fd);   /* closing removes it from the epoll set */
    p->fd = -1;
    p->pending = 0;
}

/* A whole response is in: its headers and Content-Length bytes of body. Returns its length, or 0. */
static int complete(const probe *p) {
    const char *end = memmem(p->buf, p->have, "\r\n\r\n", 4);
    if (!end) return 0;
    int head = (int)(end - p->buf) + 4, body = 0;
    const char *cl = memmem(p->buf, head, "Content-Length:", 15);
    if (cl) body = atoi(cl + 15);
    return p->have >= head + body ? head + body : 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s FIRST_PORT N INTERVAL_MS WARMUP_S SECONDS\n", argv[0]);
        return 2;
    }
    int first = atoi(argv[1]), n = atoi(argv[2]);
    long long interval = atoll(argv[3]) * 1000000LL, slot_ns = interval / SLOTS;
    long long warmup = atoll(argv[4]) * 1000000000LL, window = atoll(argv[5]) * 1000000000LL;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    probe *ps = calloc(n, sizeof *ps);
    for (int i = 0; i < n; i++) {
        ps[i].port = first + i;
        ps[i].fd = -1;
    }
    long long start = now_ns(), counting = start + warmup, end = counting + window;
    long long next = (start / slot_ns + 1) * slot_ns;   /* on the monotonic clock's grid, as procpool */
    long slot = next / slot_ns;
    long probes = 0, failed = 0, skipped = 0;
    double cpu0 = -1;
    struct epoll_event evs[256];
    for (;;) {
        long long t = now_ns();
        if (cpu0 < 0 && t >= counting) {
            cpu0 = cpu_s();
            probes = failed = skipped = 0;
        }
        if (t >= end) break;
        if (t >= next) {
            for (int i = (int)(slot % SLOTS); i < n; i += SLOTS) {
                probe *p = &ps[i];
                if (p->pending) { skipped++; continue; }
                if (p->fd < 0 && open_conn(ep, p) != 0) { failed++; continue; }
                char req[160];
                int len = snprintf(req, sizeof req, "GET /?q=health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                   "User-Agent: procpool-probe\r\nAccept: */*\r\n\r\n", p->port);
                if (write(p->fd, req, len) != len) { drop(p); failed++; continue; }
                p->pending = 1;
                probes++;
            }
            slot++;
            next += slot_ns;
            continue;
        }
        int wait_ms = (int)((next - t + 999999) / 1000000);
        int k = epoll_wait(ep, evs, 256, wait_ms);
        for (int e = 0; e < k; e++) {
            probe *p = evs[e].data.ptr;
            ssize_t r = read(p->fd, p->buf + p->have, BUF - p->have);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                if (p->pending) failed++;
                drop(p);
                continue;
            }
            p->have += (int)r;
            int whole = complete(p);
            if (whole) {
                if (strncmp(p->buf, "HTTP/1.1 200", 12) != 0) failed++;
                memmove(p->buf, p->buf + whole, p->have - whole);
                p->have -= whole;
                p->pending = 0;
            } else if (p->have == BUF) {
                failed++;
                drop(p);
            }
        }
    }
    printf("{\"probes\": %ld, \"failed\": %ld, \"skipped\": %ld, \"cpu_s\": %.4f, \"seconds\": %.1f}\n",
           probes, failed, skipped, cpu_s() - cpu0, window / 1e9);
    return 0;
}
