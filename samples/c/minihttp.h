/*
 * minihttp: a tiny HTTP/1.1 server core for procpool's sample services.
 *
 * One thread, one epoll loop, non-blocking sockets. It reads GET requests (keep-alive and
 * pipelining included), decodes the query string and hands each request to a handler that
 * fills in a JSON body and returns a status code. SIGTERM and SIGINT end the loop cleanly.
 *
 * Usage:
 *     static int handle(const mh_request *req, mh_buf *body, void *ctx) {
 *         if (strcmp(mh_path(req), "/") != 0) return mh_json_error(body, 404, "not found");
 *         mh_buf_printf(body, "{\"hello\":");
 *         mh_buf_json_str(body, mh_param(req, "name"));
 *         mh_buf_printf(body, "}");
 *         return 200;
 *     }
 *     int main(int argc, char **argv) {
 *         int port = mh_port_from_args(argc, argv, "hello");
 *         return mh_serve(port, "hello", handle, NULL);
 *     }
 */
#ifndef MINIHTTP_H
#define MINIHTTP_H

#include <stddef.h>

/* A growable byte buffer. On allocation failure it sets `failed` and drops further writes;
 * the server then answers 500 instead of sending a truncated body. */
typedef struct mh_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} mh_buf;

void mh_buf_append(mh_buf *b, const char *s, size_t n);
void mh_buf_printf(mh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a quoted JSON string (escaping quotes, backslashes and control characters);
 * NULL is written as null. */
void mh_buf_json_str(mh_buf *b, const char *s);

/* One parsed request; valid only during the handler call. */
typedef struct mh_request mh_request;

/* The decoded path, without the query string, such as "/". */
const char *mh_path(const mh_request *req);
/* The decoded value of the first query parameter called `name` ("" for "?name" alone),
 * or NULL when there is none. '+' decodes to a space, %XX to its byte. */
const char *mh_param(const mh_request *req, const char *name);

/* The handler writes a JSON body into `body` (empty on entry) and returns the HTTP status
 * (200-599; anything else becomes a 500). Every response is sent as application/json, with
 * a newline added after the body. */
typedef int (*mh_handler)(const mh_request *req, mh_buf *body, void *ctx);

/* Writes {"error":"<message>"} into body and returns status, for `return mh_json_error(...)`. */
int mh_json_error(mh_buf *body, int status, const char *message);

/* The port from argv[1], else from $PORT. Prints a usage line and exits with status 2 when
 * neither is given or the value is not a port number (1-65535). */
int mh_port_from_args(int argc, char **argv, const char *name);

/* Binds 127.0.0.1:port, prints "<name> listening on port <port>" to stdout and serves until
 * SIGTERM or SIGINT. Returns 0 after a clean shutdown, 1 when the server could not start. */
int mh_serve(int port, const char *name, mh_handler handler, void *ctx);

#endif
