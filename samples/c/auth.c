/*
 * auth: a sample procpool service. Hands out a deterministic identity for a user name.
 *
 *   GET /?user=NAME    {"user":"alice","uid":N,"token":"<16 hex digits>","roles":[...],"expires_in":3600}
 *   GET /?user=health  {"status":"ok","service":"auth","port":P}
 *
 * The token is the 64-bit FNV-1a hash of the name, so the same name always gets the same
 * answer from every instance. It is a sample, not a secret: anyone can compute it.
 * Names are 1-64 characters of letters, digits, '.', '_', '-' and '@'; others get 400.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o build/auth.cgi samples/c/auth.c samples/c/minihttp.c
 * Run:   build/auth.cgi 8100      (or PORT=8100 build/auth.cgi)
 */
#include "minihttp.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#define MAX_NAME 64

static uint64_t fnv1a64(const char *s) {
    uint64_t h = 14695981039346656037ULL;   /* FNV offset basis */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;              /* FNV prime */
    }
    return h;
}

static int valid_name_char(unsigned char c) {
    return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@';
}

static int handle(const mh_request *req, mh_buf *body, void *ctx) {
    int port = *(const int *)ctx;
    if (strcmp(mh_path(req), "/") != 0) return mh_json_error(body, 404, "not found");
    const char *user = mh_param(req, "user");
    if (!user || !*user) return mh_json_error(body, 400, "missing query parameter user");
    if (strcmp(user, "health") == 0) {
        mh_buf_printf(body, "{\"status\":\"ok\",\"service\":\"auth\",\"port\":%d}", port);
        return 200;
    }
    if (strlen(user) > MAX_NAME) return mh_json_error(body, 400, "user name longer than 64 characters");
    for (const char *p = user; *p; p++)
        if (!valid_name_char((unsigned char)*p))
            return mh_json_error(body, 400, "user name may only hold letters, digits, '.', '_', '-' and '@'");

    uint64_t h = fnv1a64(user);
    int admin = strcmp(user, "admin") == 0 || strcmp(user, "root") == 0;
    mh_buf_printf(body, "{\"user\":");
    mh_buf_json_str(body, user);
    mh_buf_printf(body, ",\"uid\":%u,\"token\":\"%016llx\",\"roles\":[\"user\",\"%s\"%s],\"expires_in\":3600}",
                  (unsigned)(1000 + h % 9000), (unsigned long long)h,
                  (h >> 8) & 1 ? "writer" : "reader", admin ? ",\"admin\"" : "");
    return 200;
}

int main(int argc, char **argv) {
    int port = mh_port_from_args(argc, argv, "auth");
    return mh_serve(port, "auth", handle, &port);
}
