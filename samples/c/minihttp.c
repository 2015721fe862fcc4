/*
 * minihttp: see minihttp.h. Linux only (epoll, signalfd, accept4); libc only.
 *
 * Each connection owns a fixed input buffer of MAX_REQUEST bytes and a growable output buffer.
 * A readable event reads what is there, answers every complete request in the buffer
 * (pipelining), then writes all the answers with one send. Everything is level-triggered, so
 * the loop never has to drain a socket to EAGAIN.
 */
#define _GNU_SOURCE
#include "minihttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST 8192            /* request line + headers (+ a GET body, if any) */
#define MAX_PARAMS 32               /* further query parameters are ignored */
#define OUT_HIGH_WATER (64 * 1024)  /* unsent bytes at which we stop answering pipelined requests */
#define IDLE_TIMEOUT_S 120          /* well above any health-check interval, so probes keep theirs */
#define LISTEN_BACKLOG 1024

struct mh_request {
    const char *path;
    int nparams;
    const char *names[MAX_PARAMS];
    const char *values[MAX_PARAMS];
};

typedef struct conn {
    int fd;
    unsigned events;            /* the epoll interest currently registered */
    int closing;                /* answer no more requests; close once the output is sent */
    int peer_done;              /* the client shut down its sending side */
    int draining;               /* all sent and our side shut down; waiting for the client's close */
    time_t last_active;
    size_t in_start, in_len;    /* unparsed input: in[in_start .. in_start + in_len) */
    char in[MAX_REQUEST];
    mh_buf out;
    size_t out_sent;
    struct conn *prev, *next;
} conn;

typedef struct server {
    int epfd, lfd, sfd, spare_fd;
    mh_handler handler;
    void *ctx;
    conn *conns;                     /* every open connection, for the idle sweep and shutdown */
    mh_buf body;                     /* the handler's body; reused for every request */
    char scratch[MAX_REQUEST + 2];   /* decoded path and parameters of the current request */
} server;

/* ---- buffers and JSON ---------------------------------------------------------------- */

static int buf_reserve(mh_buf *b, size_t extra) {
    if (b->failed) return 0;
    if (b->len + extra <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) { b->failed = 1; return 0; }
    b->data = p;
    b->cap = cap;
    return 1;
}

void mh_buf_append(mh_buf *b, const char *s, size_t n) {
    if (n == 0 || !buf_reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void mh_buf_printf(mh_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (s[1] < lo || s[1] > hi) return 0;    /* also stops at the terminating NUL */
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

void mh_buf_json_str(mh_buf *b, const char *s) {
    if (!s) { mh_buf_append(b, "null", 4); return; }
    mh_buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {   /* query strings can hold any bytes; keep the JSON valid */
            mh_buf_append(b, "\\ufffd", 6);
            p++;
        } else if (*p == '"' || *p == '\\') {
            char esc[2] = { '\\', (char)*p };
            mh_buf_append(b, esc, 2);
            p++;
        } else if (*p < 0x20) {
            mh_buf_printf(b, "\\u%04x", *p);
            p++;
        } else {
            mh_buf_append(b, (const char *)p, n);
            p += n;
        }
    }
    mh_buf_append(b, "\"", 1);
}

int mh_json_error(mh_buf *body, int status, const char *message) {
    body->len = 0;
    mh_buf_printf(body, "{\"error\":");
    mh_buf_json_str(body, message);
    mh_buf_printf(body, ",\"status\":%d}", status);
    return status;
}

/* ---- requests ------------------------------------------------------------------------- */

const char *mh_path(const mh_request *req) { return req->path; }

const char *mh_param(const mh_request *req, const char *name) {
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->names[i], name) == 0) return req->values[i];
    return NULL;
}

static int hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into dst and NUL-terminates it; returns the bytes written
 * including the NUL, or -1 for %00 (it would cut the C string short). A '%' that does not
 * start a valid escape is kept as it is. */
static long url_decode(char *dst, const char *src, size_t n, int plus_is_space) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (src[i] == '%' && i + 2 < n &&
            (hi = hexval(src[i + 1])) >= 0 && (lo = hexval(src[i + 2])) >= 0) {
            if (hi == 0 && lo == 0) return -1;
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (src[i] == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = src[i];
        }
    }
    dst[o++] = '\0';
    return (long)o;
}

/* Fills req from the request target "/path?query" (tlen bytes). Returns 0, or -1 when it
 * cannot be decoded. The decoded strings live in srv->scratch. */
static int parse_target(server *srv, mh_request *req, const char *t, size_t tlen) {
    char *out = srv->scratch;
    const char *q = memchr(t, '?', tlen);
    long d = url_decode(out, t, q ? (size_t)(q - t) : tlen, 0);
    if (d < 0) return -1;
    req->path = out;
    out += d;
    req->nparams = 0;
    if (!q) return 0;
    const char *p = q + 1, *end = t + tlen;
    while (p < end && req->nparams < MAX_PARAMS) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end > p) {   /* skip empty segments such as "a=1&&b=2" */
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *name_end = eq ? eq : seg_end;
            req->names[req->nparams] = out;
            if ((d = url_decode(out, p, (size_t)(name_end - p), 1)) < 0) return -1;
            out += d;
            if (eq) {
                req->values[req->nparams] = out;
                if ((d = url_decode(out, eq + 1, (size_t)(seg_end - eq - 1), 1)) < 0) return -1;
                out += d;
            } else {
                req->values[req->nparams] = "";
            }
            req->nparams++;
        }
        p = seg_end + 1;
    }
    return 0;
}

/* ---- responses ------------------------------------------------------------------------ */

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default:  return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* The Date header value, formatted at most once a second. */
static const char *http_date(void) {
    static char text[64];
    static time_t formatted_at = -1;
    time_t now = time(NULL);
    if (now != formatted_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        formatted_at = now;
    }
    return text;
}

/* Queues one response. keep = 0 sends "Connection: close" and stops reading requests.
 * head = 1 (a HEAD request) sends the headers of the body but not the body. */
static void queue_response(conn *c, int status, const mh_buf *body, int keep, int http10, int head) {
    const char *connection = !keep ? "Connection: close\r\n"
                           : http10 ? "Connection: keep-alive\r\n" : "";
    mh_buf_printf(&c->out,
                  "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
                  "Content-Length: %zu\r\n%s%s\r\n",
                  status, reason(status), http_date(), body->len + 1, connection,
                  status == 405 ? "Allow: GET\r\n" : "");
    if (!head) {
        mh_buf_append(&c->out, body->data, body->len);
        mh_buf_append(&c->out, "\n", 1);
    }
    if (!keep) c->closing = 1;
}

/* An error found by the core itself: answer it and close the connection. */
static void fail(server *srv, conn *c, int status, const char *message) {
    mh_json_error(&srv->body, status, message);
    queue_response(c, status, &srv->body, 0, 0, 0);
    c->in_start = c->in_len = 0;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* Offset just past the empty line that ends the request head in p[0..n), or 0 when that
 * line has not arrived yet. Lines may end in CRLF or a bare LF. */
static size_t head_end(const char *p, size_t n) {
    const char *nl = memchr(p, '\n', n);
    while (nl) {
        size_t i = (size_t)(nl - p) + 1;   /* the start of the next line */
        if (i < n && p[i] == '\n') return i + 1;
        if (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n') return i + 2;
        nl = memchr(p + i, '\n', n - i);
    }
    return 0;
}

/* Does the comma-separated header value v[0..n) hold `token` (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *token) {
    size_t tlen = strlen(token);
    const char *end = v + n;
    while (v < end) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == ',')) v++;
        const char *t = v;
        while (v < end && *v != ',') v++;
        const char *te = v;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t')) te--;
        if ((size_t)(te - t) == tlen && strncasecmp(t, token, tlen) == 0) return 1;
    }
    return 0;
}

/* Answers the request whose head is p[0..hlen). Returns 0 when its body has not fully
 * arrived yet (nothing consumed), else 1. */
static int answer_one(server *srv, conn *c, char *p, size_t hlen) {
    mh_buf *body = &srv->body;
    body->len = 0;
    body->failed = 0;

    /* Request line: METHOD SP TARGET SP VERSION */
    char *line_end = memchr(p, '\n', hlen);
    size_t llen = (size_t)(line_end - p);
    if (llen > 0 && p[llen - 1] == '\r') llen--;
    char *sp1 = memchr(p, ' ', llen);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', llen - (size_t)(sp1 + 1 - p)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1) { fail(srv, c, 400, "malformed request line"); return 1; }
    const char *version = sp2 + 1;
    size_t vlen = llen - (size_t)(version - p);
    int http10;
    if (vlen == 8 && memcmp(version, "HTTP/1.1", 8) == 0) http10 = 0;
    else if (vlen == 8 && memcmp(version, "HTTP/1.0", 8) == 0) http10 = 1;
    else if (vlen >= 5 && memcmp(version, "HTTP/", 5) == 0) { fail(srv, c, 505, "only HTTP/1.0 and HTTP/1.1 are supported"); return 1; }
    else { fail(srv, c, 400, "malformed request line"); return 1; }

    /* Headers: only Connection, Content-Length and Transfer-Encoding matter here. */
    int want_close = 0, want_keep = 0, has_te = 0;
    long clen = -1;
    char *line = line_end + 1, *end = p + hlen;
    for (;;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = (size_t)(nl - line);
        if (len > 0 && line[len - 1] == '\r') len--;
        if (len == 0) break;   /* the empty line that ends the head */
        char *colon = memchr(line, ':', len);
        /* RFC 9112 forbids whitespace before the colon; obsolete folded lines have no colon. */
        if (!colon || colon == line || colon[-1] == ' ' || colon[-1] == '\t') { fail(srv, c, 400, "malformed header"); return 1; }
        size_t nlen = (size_t)(colon - line);
        char *v = colon + 1, *vend = line + len;
        while (v < vend && (*v == ' ' || *v == '\t')) v++;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
        if (nlen == 10 && strncasecmp(line, "Connection", nlen) == 0) {
            want_close |= has_token(v, (size_t)(vend - v), "close");
            want_keep |= has_token(v, (size_t)(vend - v), "keep-alive");
        } else if (nlen == 14 && strncasecmp(line, "Content-Length", nlen) == 0) {
            long n = 0;
            if (v == vend) { fail(srv, c, 400, "bad Content-Length"); return 1; }
            for (char *d = v; d < vend; d++) {
                if (*d < '0' || *d > '9') { fail(srv, c, 400, "bad Content-Length"); return 1; }
                if (n <= MAX_REQUEST) n = n * 10 + (*d - '0');   /* beyond that, "too big" is enough */
            }
            if (clen >= 0 && clen != n) { fail(srv, c, 400, "conflicting Content-Length"); return 1; }
            clen = n;
        } else if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", nlen) == 0) {
            has_te = 1;
        }
        line = nl + 1;
    }
    int keep = http10 ? (want_keep && !want_close) : !want_close;

    if ((size_t)(sp1 - p) != 3 || memcmp(p, "GET", 3) != 0) {
        /* The body of a POST or PUT is not read, so the connection cannot be reused. */
        int head = (size_t)(sp1 - p) == 4 && memcmp(p, "HEAD", 4) == 0;
        mh_json_error(body, 405, "method not allowed");
        queue_response(c, 405, body, 0, http10, head);
        return 1;
    }
    if (has_te) { fail(srv, c, 501, "Transfer-Encoding is not supported"); return 1; }
    if (clen > (long)(MAX_REQUEST - hlen)) { fail(srv, c, 413, "request too large"); return 1; }
    size_t total = hlen + (size_t)(clen > 0 ? clen : 0);
    if (total > c->in_len) return 0;   /* a GET body, not all here yet; it is ignored anyway */
    c->in_start += total;
    c->in_len -= total;

    mh_request req;
    int status;
    if (sp1[1] != '/') status = mh_json_error(body, 400, "the request target must start with /");
    else if (parse_target(srv, &req, sp1 + 1, (size_t)(sp2 - sp1 - 1)) < 0)
        status = mh_json_error(body, 400, "bad percent-encoding in the request target");
    else status = srv->handler(&req, body, srv->ctx);
    if (body->failed || status < 200 || status > 599) {
        body->failed = 0;
        status = mh_json_error(body, 500, "internal error");
    }
    queue_response(c, status, body, keep, http10, 0);
    return 1;
}

/* ---- connections ------------------------------------------------------------------------ */

static time_t now_s;   /* monotonic seconds, refreshed once per loop turn */

static void conn_close(server *srv, conn *c) {
    close(c->fd);   /* also removes it from the epoll set */
    if (c->prev) c->prev->next = c->next; else srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c->out.data);
    free(c);
}

/* Reads what the socket has into the input buffer. Returns -1 on a connection error. */
static int read_in(conn *c) {
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_len);
        c->in_start = 0;
    }
    while (c->in_len < MAX_REQUEST) {
        size_t room = MAX_REQUEST - c->in_len;
        ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            if ((size_t)r < room) break;   /* most likely drained; level-triggered epoll tells us if not */
        } else if (r == 0) {
            c->peer_done = 1;
            break;
        } else if (errno != EINTR) {
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
    }
    return 0;
}

/* Sends queued output. Returns -1 on a connection error. */
static int flush_out(conn *c) {
    while (c->out_sent < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
        if (w > 0) c->out_sent += (size_t)w;
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        else if (w < 0 && errno == EINTR) continue;
        else return -1;
    }
    c->out.len = c->out_sent = 0;
    return 0;
}

/* Answers the complete requests in the input buffer, stopping early while the client is not
 * reading its answers. Returns how many were answered. */
static int process(server *srv, conn *c) {
    int answered = 0;
    if (c->out_sent > 0) {   /* drop what was sent, so the buffer cannot grow without bound */
        memmove(c->out.data, c->out.data + c->out_sent, c->out.len - c->out_sent);
        c->out.len -= c->out_sent;
        c->out_sent = 0;
    }
    while (!c->closing && c->out.len < OUT_HIGH_WATER) {
        /* RFC 9112 section 2.2: empty lines before a request line are ignored. */
        while (c->in_len > 0 && (c->in[c->in_start] == '\r' || c->in[c->in_start] == '\n')) {
            c->in_start++;
            c->in_len--;
        }
        if (c->in_len == 0) break;
        char *p = c->in + c->in_start;
        size_t hlen = head_end(p, c->in_len);
        if (hlen == 0) {
            if (c->in_len >= MAX_REQUEST) { fail(srv, c, 431, "request head larger than 8 KiB"); answered++; }
            break;
        }
        if (!answer_one(srv, c, p, hlen)) break;
        answered++;
    }
    if (c->in_len == 0) c->in_start = 0;
    return answered;
}

/* Does all that can be done on a connection now, then registers the events it waits for. */
static void conn_step(server *srv, conn *c) {
    if (c->draining) {
        /* Lingering close: our side is shut down; discard input until the client closes, so
         * that closing with unread data does not reset the connection and lose the answer. */
        c->in_start = c->in_len = 0;
        if (read_in(c) < 0 || c->peer_done) conn_close(srv, c);
        return;
    }
    int n;
    do {
        n = process(srv, c);
        if (c->out.failed || flush_out(c) < 0) { conn_close(srv, c); return; }
    } while (n > 0 && c->out.len == 0 && !c->closing && c->in_len > 0);

    size_t pending = c->out.len - c->out_sent;
    if (pending == 0 && c->peer_done) { conn_close(srv, c); return; }
    if (pending == 0 && c->closing) {
        shutdown(c->fd, SHUT_WR);
        c->draining = 1;
        c->last_active = now_s;   /* the drain gets a short deadline from here (see sweep) */
    }
    unsigned want = 0;
    if (pending > 0) want |= EPOLLOUT;
    if (c->draining || (!c->closing && !c->peer_done && pending < OUT_HIGH_WATER)) want |= EPOLLIN;
    if (want != c->events) {
        struct epoll_event ev = { .events = want, .data.ptr = c };
        epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->events = want;
    }
}

static void on_conn_event(server *srv, conn *c, unsigned events) {
    if (events & (EPOLLERR | EPOLLHUP)) { conn_close(srv, c); return; }
    if (!c->draining) c->last_active = now_s;
    if ((events & EPOLLIN) && !c->draining && read_in(c) < 0) { conn_close(srv, c); return; }
    conn_step(srv, c);
}

static void accept_all(server *srv) {
    for (;;) {
        int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if ((errno == EMFILE || errno == ENFILE) && srv->spare_fd >= 0) {
                /* Out of descriptors: the listener would stay readable and the loop would
                 * spin. Free the spare descriptor to accept one client and drop it. */
                close(srv->spare_fd);
                fd = accept(srv->lfd, NULL, NULL);
                if (fd >= 0) close(fd);
                srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0) return;
                continue;
            }
            return;   /* EAGAIN: no more pending clients */
        }
        conn *c = calloc(1, sizeof *c);
        if (!c) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->events = EPOLLIN;
        c->last_active = now_s;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(c); continue; }
        c->next = srv->conns;
        if (c->next) c->next->prev = c;
        srv->conns = c;
    }
}

/* Closes connections idle for too long, and lingering closes past their short deadline. */
static void sweep(server *srv) {
    conn *next;
    for (conn *c = srv->conns; c; c = next) {
        next = c->next;
        if (now_s - c->last_active >= (c->draining ? 2 : IDLE_TIMEOUT_S)) conn_close(srv, c);
    }
}

static time_t monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* ---- setup and the loop ----------------------------------------------------------------- */

int mh_port_from_args(int argc, char **argv, const char *name) {
    const char *s = argc > 1 ? argv[1] : getenv("PORT");
    char *end = NULL;
    long port = s && *s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end != '\0' || port < 1 || port > 65535) {
        if (s && *s) fprintf(stderr, "%s: not a port number: %s\n", name, s);
        fprintf(stderr, "usage: %s PORT   (or set the PORT environment variable)\n",
                argc > 0 ? argv[0] : name);
        exit(2);
    }
    return (int)port;
}

int mh_serve(int port, const char *name, mh_handler handler, void *ctx) {
    static server srv_storage;   /* static: the scratch buffer is too big for a small stack */
    server *srv = &srv_storage;
    srv->handler = handler;
    srv->ctx = ctx;
    now_s = monotonic_seconds();

    /* SIGTERM and SIGINT arrive through a descriptor in the loop, not as asynchronous
     * handlers; a dead client must give an error from send(), not SIGPIPE. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);

    srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (srv->sfd < 0 || srv->lfd < 0 ||
        setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(srv->lfd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(srv->lfd, LISTEN_BACKLOG) < 0 ||
        (srv->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", name, port, strerror(errno));
        return 1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &srv->lfd };
    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev);
    ev.data.ptr = &srv->sfd;
    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->sfd, &ev);
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    printf("%s listening on port %d\n", name, port);
    fflush(stdout);

    int status = 0, running = 1;
    time_t last_sweep = now_s;
    struct epoll_event events[256];
    while (running) {
        int n = epoll_wait(srv->epfd, events, 256, 1000);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); status = 1; break; }
        now_s = monotonic_seconds();
        for (int i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &srv->lfd) {
                accept_all(srv);
            } else if (tag == &srv->sfd) {
                struct signalfd_siginfo si;
                if (read(srv->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                    printf("%s: %s received, shutting down\n", name,
                           si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
                    fflush(stdout);
                    running = 0;
                }
            } else {
                on_conn_event(srv, tag, events[i].events);
            }
        }
        if (now_s != last_sweep) { sweep(srv); last_sweep = now_s; }
    }

    while (srv->conns) conn_close(srv, srv->conns);
    close(srv->lfd);
    close(srv->sfd);
    close(srv->epfd);
    if (srv->spare_fd >= 0) close(srv->spare_fd);
    free(srv->body.data);
    return status;
}
