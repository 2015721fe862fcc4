/*
 * search: a sample procpool service. Full-text search over a small built-in corpus.
 *
 *   GET /?q=TERMS    {"query":"...","count":N,"results":[{"id":..,"title":..,"score":..},...]}
 *                    the 10 best documents; count is how many matched in all
 *   GET /?q=health   {"status":"ok","service":"search","port":P}
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o build/search.cgi samples/c/search.c samples/c/minihttp.c
 * Run:   build/search.cgi 8000      (or PORT=8000 build/search.cgi)
 *
 * Scoring: the query is split into lowercase alphanumeric words. A document scores 3 for
 * every occurrence of a query word in its title and 1 for every occurrence in its body
 * (whole words, case-insensitive). Higher scores come first, equal scores by id.
 */
#include "minihttp.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TOP_N 10
#define MAX_TERMS 16
#define MAX_TERM_LEN 64

typedef struct {
    int id;
    const char *title;
    const char *body;
} doc;

static const doc corpus[] = {
    { 1, "Process pools", "A process pool keeps a fixed set of worker processes running and hands them work, so the cost of starting a process is paid once." },
    { 2, "Supervision trees", "A supervisor starts child processes, watches them and restarts a child that crashes. Supervisors can supervise other supervisors." },
    { 3, "Restart backoff", "Restarting a crashing process in a tight loop wastes resources. Exponential backoff with jitter spaces the restarts out." },
    { 4, "Health checks", "A health check asks a running service whether it can do its work. An HTTP health check expects a 2xx status within a timeout." },
    { 5, "Readiness and liveness", "Liveness says a process should be restarted; readiness says it may receive traffic. A process can be live but not yet ready." },
    { 6, "Graceful shutdown", "On SIGTERM a server stops accepting connections, finishes the requests in flight and exits. SIGKILL follows if it takes too long." },
    { 7, "Unix signals", "Signals such as SIGTERM, SIGINT and SIGHUP notify a process asynchronously. signalfd turns them into a readable descriptor." },
    { 8, "Process groups", "A process group lets a supervisor signal a command and every process it started at once, so no child is left behind." },
    { 9, "Zombie processes", "A child that has exited stays a zombie until its parent waits for it. A supervisor must reap its children." },
    { 10, "HTTP/1.1 keep-alive", "HTTP/1.1 connections are persistent by default: many requests share one TCP connection until one side sends Connection: close." },
    { 11, "HTTP pipelining", "A client may send several requests without waiting for the answers; the server must answer them in order." },
    { 12, "Content-Length", "Content-Length tells the receiver how many bytes of body follow the headers, so the next message on the connection can be found." },
    { 13, "HTTP status codes", "Status 200 means success, 404 means the resource was not found, 405 means the method is not allowed and 5xx means a server error." },
    { 14, "Query strings", "The query string follows the question mark in a URL. Its parameters are percent-encoded and separated by ampersands." },
    { 15, "The epoll event loop", "epoll lets one thread watch thousands of sockets. A single-threaded event loop serves many connections without a thread per client." },
    { 16, "Non-blocking sockets", "A non-blocking socket returns EAGAIN instead of waiting, so an event loop never stalls on one slow client." },
    { 17, "TCP listen backlog", "The listen backlog bounds the connections the kernel completes before the server accepts them. Bursts need a larger backlog." },
    { 18, "SO_REUSEADDR", "SO_REUSEADDR lets a restarted server bind its port again while old connections linger in TIME_WAIT." },
    { 19, "The C language", "C is a small systems language with manual memory management. Servers in C are fast but must guard every buffer." },
    { 20, "Java and the JVM", "Java runs on the JVM. Its process API starts child processes, reads their output and waits for them to exit." },
    { 21, "Python", "Python is a dynamic language with a large standard library, including http.server for small HTTP services." },
    { 22, "C# and .NET", "C# runs on .NET. dotnet-script runs C# scripts without a project file, which suits small sample services." },
    { 23, "Go", "Go has goroutines and a net/http package; a Go HTTP server handles each connection in its own goroutine." },
    { 24, "Rust", "Rust gives memory safety without a garbage collector. Async runtimes such as tokio run many tasks on a thread pool." },
    { 25, "Erlang and OTP", "Erlang made supervision trees famous: let it crash, and let the supervisor restart the process in a known state." },
    { 26, "Actors", "An actor has private state and handles one message at a time. Actor systems such as Pekko build supervisors from actors." },
    { 27, "Thread pools", "A thread pool reuses threads for many tasks. Blocking calls belong on their own pool so they do not starve the others." },
    { 28, "Load balancing", "A load balancer spreads requests over several instances of a service, skipping instances that fail their health check." },
    { 29, "Scaling out", "Scaling out starts more instances of a service on more ports when load grows and stops them when it falls." },
    { 30, "Port allocation", "Each instance of a service listens on its own port. A supervisor assigns the ports and passes them on the command line or in PORT." },
    { 31, "Log rotation", "Logs grow without bound unless rotated. Size-based rotation renames the log and keeps a few old files." },
    { 32, "Standard output", "A service writes its log lines to standard output and standard error; the supervisor captures both into a log file." },
    { 33, "Environment variables", "Environment variables configure a process without arguments; PORT is a common way to tell a service where to listen." },
    { 34, "Configuration files", "A configuration file declares the services, their commands, ports and health checks, with defaults merged under each service." },
    { 35, "Exit codes", "A process exits with a status: 0 for success, other values for errors, and 128 plus the signal number when killed by a signal." },
    { 36, "Orphaned processes", "When a supervisor is killed its children may keep running. A state file lets the next supervisor find and stop them." },
    { 37, "File locks", "A lock file keeps two supervisors from managing the same state directory at the same time." },
    { 38, "JSON", "JSON is a text format of objects, arrays, strings, numbers and booleans, used by most HTTP APIs for requests and responses." },
    { 39, "Benchmarking HTTP servers", "Tools such as wrk open keep-alive connections and send requests as fast as the server answers, reporting requests per second." },
    { 40, "Timeouts", "Every network call needs a timeout: connect, request and response. Without one, a hung service hangs its callers." },
    { 41, "Circuit breakers", "A circuit breaker stops calling a failing service for a while, giving it time to recover instead of piling on requests." },
    { 42, "Admin APIs", "An admin HTTP API shows the status of every service and instance and lets an operator start, stop or restart them." },
};
#define CORPUS_SIZE ((int)(sizeof corpus / sizeof corpus[0]))

typedef struct {
    int doc;     /* index into corpus */
    int score;
} hit;

/* Splits text into lowercase alphanumeric words, writing at most max of them (each cut to
 * MAX_TERM_LEN - 1 bytes). Returns how many were written. */
static int split_words(const char *text, char words[][MAX_TERM_LEN], int max) {
    int n = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && n < max) {
        while (*p && !isalnum(*p)) p++;
        if (!*p) break;
        int len = 0;
        while (isalnum(*p)) {
            if (len < MAX_TERM_LEN - 1) words[n][len++] = (char)tolower(*p);
            p++;
        }
        words[n++][len] = '\0';
    }
    return n;
}

/* How often `term` (lowercase) occurs as a whole word in text, ignoring case. */
static int count_word(const char *text, const char *term) {
    size_t tlen = strlen(term);
    int count = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && !isalnum(*p)) p++;
        const unsigned char *start = p;
        while (isalnum(*p)) p++;
        size_t len = (size_t)(p - start);
        if (len == tlen && len > 0) {
            size_t i = 0;
            while (i < len && tolower(start[i]) == (unsigned char)term[i]) i++;
            if (i == len) count++;
        }
    }
    return count;
}

static int by_score_then_id(const void *a, const void *b) {
    const hit *x = a, *y = b;
    if (x->score != y->score) return y->score - x->score;
    return corpus[x->doc].id - corpus[y->doc].id;
}

static int handle(const mh_request *req, mh_buf *body, void *ctx) {
    int port = *(const int *)ctx;
    if (strcmp(mh_path(req), "/") != 0) return mh_json_error(body, 404, "not found");
    const char *q = mh_param(req, "q");
    if (!q || !*q) return mh_json_error(body, 400, "missing query parameter q");
    if (strcmp(q, "health") == 0) {
        mh_buf_printf(body, "{\"status\":\"ok\",\"service\":\"search\",\"port\":%d}", port);
        return 200;
    }

    char terms[MAX_TERMS][MAX_TERM_LEN];
    int nterms = 0;
    char words[MAX_TERMS][MAX_TERM_LEN];
    int nwords = split_words(q, words, MAX_TERMS);
    for (int w = 0; w < nwords; w++) {   /* "pool pool" counts like "pool" */
        int seen = 0;
        for (int t = 0; t < nterms && !seen; t++) seen = strcmp(terms[t], words[w]) == 0;
        if (!seen) memcpy(terms[nterms++], words[w], MAX_TERM_LEN);
    }
    hit hits[CORPUS_SIZE];
    int nhits = 0;
    for (int d = 0; d < CORPUS_SIZE; d++) {
        int score = 0;
        for (int t = 0; t < nterms; t++)
            score += 3 * count_word(corpus[d].title, terms[t]) + count_word(corpus[d].body, terms[t]);
        if (score > 0) hits[nhits++] = (hit){ d, score };
    }
    qsort(hits, (size_t)nhits, sizeof hits[0], by_score_then_id);

    mh_buf_printf(body, "{\"query\":");
    mh_buf_json_str(body, q);
    mh_buf_printf(body, ",\"count\":%d,\"results\":[", nhits);
    for (int i = 0; i < nhits && i < TOP_N; i++) {
        const doc *d = &corpus[hits[i].doc];
        mh_buf_printf(body, "%s{\"id\":%d,\"title\":", i ? "," : "", d->id);
        mh_buf_json_str(body, d->title);
        mh_buf_printf(body, ",\"score\":%d}", hits[i].score);
    }
    mh_buf_printf(body, "]}");
    return 200;
}

int main(int argc, char **argv) {
    int port = mh_port_from_args(argc, argv, "search");
    return mh_serve(port, "search", handle, &port);
}
