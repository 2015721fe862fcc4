#!/usr/bin/env python3
"""python_cgi: a sample procpool service using only the Python 3 standard library.

    GET /?service=health  -> 200 {"status":"ok","service":"python_cgi","port":P}
    GET /?service=NAME    -> 200 {"service":NAME,"python":"3.x.y","pid":N,"requests":N,"port":P}
    GET /?service= or /   -> 400, other paths -> 404, methods other than GET -> 405

Run: samples/python/sample_python_cgi.py 8200   (or PORT=8200 samples/python/sample_python_cgi.py)

HTTP/1.1 with keep-alive, one daemon thread per connection. SIGTERM and SIGINT stop the
server and the process exits 0.
"""
import http.server
import json
import os
import platform
import signal
import sys
import threading
import urllib.parse

NAME = "python_cgi"
IDLE_TIMEOUT_S = 120  # idle keep-alive connections are closed after this long
MAX_BODY = 64 * 1024  # a GET body larger than this is not read; the connection is closed


def port_from_args():
    value = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "")
    if value.isascii() and value.isdigit() and 1 <= int(value) <= 65535:
        return int(value)
    if value:
        print(f"{NAME}: not a port number: {value}", file=sys.stderr)
    print(f"usage: {sys.argv[0]} PORT   (or set the PORT environment variable)", file=sys.stderr)
    sys.exit(2)


class Counter:
    """Requests answered so far, shared by the connection threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value = 0

    def next(self):
        with self._lock:
            self._value += 1
            return self._value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says Connection: close
    timeout = IDLE_TIMEOUT_S
    counter = Counter()

    def send_json(self, status, payload, close=False):
        body = (json.dumps(payload) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # parse_request() has already decided from the request whether to keep the
        # connection; say so, so that clients do not have to find out by a failed reuse.
        if close or self.close_connection:
            self.send_header("Connection", "close")  # also sets self.close_connection
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers of a body but not the body
            self.wfile.write(body)

    def skip_body(self):
        """Reads and drops a GET request's body, so the next request on the connection starts
        where it should. A body we cannot measure ends the connection after this answer."""
        lengths = self.headers.get_all("Content-Length", ["0"])
        length = lengths[0].strip()
        if ("Transfer-Encoding" in self.headers or len(lengths) > 1 or not length.isdigit()
                or int(length) > MAX_BODY):
            self.close_connection = True
        elif int(length) > 0:
            self.rfile.read(int(length))

    def do_GET(self):
        self.skip_body()
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/":
            self.send_json(404, {"error": "not found", "status": 404})
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        service = params.get("service", [""])[0]
        port = self.server.server_address[1]
        if not service:
            self.send_json(400, {"error": "missing query parameter service", "status": 400})
        elif service == "health":
            self.send_json(200, {"status": "ok", "service": NAME, "port": port})
        else:
            self.send_json(200, {
                "service": service,
                "python": platform.python_version(),
                "pid": os.getpid(),
                "requests": self.counter.next(),
                "port": port,
            })

    def refuse_method(self):
        # The request body is not read, so the connection cannot carry another request.
        self.send_json(405, {"error": "method not allowed", "status": 405}, close=True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = refuse_method

    def send_error(self, code, message=None, explain=None):
        # The standard library answers malformed requests with an HTML page; keep to JSON.
        message = message or self.responses.get(code, ("error",))[0]
        self.log_error("%d %s", code, message)
        self.send_json(code, {"error": message, "status": code}, close=True)

    def log_message(self, format, *args):
        pass  # one line per request would flood the service log under load

    def log_error(self, format, *args):
        sys.stderr.write(f"{NAME}: {self.address_string()}: {format % args}\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # open keep-alive connections must not hold up the exit
    request_queue_size = 1024  # the listen backlog

    def handle_error(self, request, client_address):
        # A client that goes away mid-answer is routine; anything else gets one line.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"{NAME}: error serving {client_address[0]}: {error!r}", file=sys.stderr)


def main():
    port = port_from_args()
    try:
        server = Server(("127.0.0.1", port), Handler)
    except OSError as e:
        print(f"{NAME}: cannot listen on 127.0.0.1:{port}: {e.strerror}", file=sys.stderr)
        return 1

    def stop(signum, _frame):
        print(f"{NAME}: {signal.Signals(signum).name} received, shutting down", flush=True)
        # shutdown() waits for serve_forever() to return, and serve_forever() runs in this
        # (the main) thread, where signal handlers also run: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"{NAME} listening on port {port}", flush=True)
    # poll_interval bounds how long shutdown() waits for the loop to notice.
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
