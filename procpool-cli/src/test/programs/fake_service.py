#!/usr/bin/env python3
"""A scriptable stand-in for a real service, used by procpool's integration tests.

Serves HTTP on 127.0.0.1:PORT (argument --port, else $PORT) and misbehaves on request:
  --status N          answer every request with status N (default 200)
  --bind-delay S      wait S seconds before listening (a slow start)
  --exit-after S      exit with --exit-code after S seconds (0: at once, before listening)
  --exit-code N       the code for --exit-after (default 1)
  --ignore-term       ignore SIGTERM (and SIGINT): only SIGKILL ends it
  --grandchild FILE   start a long `sleep` child (the instance's grandchild when run under a
                      shell) and write its pid to FILE
  --pidfile FILE      write its own pid to FILE
  --chatty N          write N lines of output at start
  --burn-file FILE    keep CPU cores busy while FILE exists (checked every 100 ms), in child
                      processes at the lowest priority, so the server itself stays responsive
  --burn-cores N      how many cores --burn-file keeps busy (default 1)
  --grow-mb N         allocate N MiB of memory, one MiB every 100 ms, and keep it
  --spew-mb N         write N MiB of output as fast as it can, from a thread, while serving
  --close-stdout      close stdout and stderr once listening
  --fork-grandchild   fork a copy of itself that sleeps for 10 minutes (a grandchild with the
                      same command line, so --tag finds it)
  --fork-on-term      on SIGTERM, fork such a sleeper and exit at once (a leader that leaves a
                      process behind while it is being stopped)
  --daemonize         fork such a sleeper that leaves this process group and session with setsid
                      (a service that daemonizes a helper: no signal to the group reaches it)
  --deliveries FILE   append a line "PID METHOD PATH" to FILE for every POST or PUT it receives
  --signals FILE      append a line "PID SIGNAME" to FILE for every SIGHUP, SIGUSR1 or SIGUSR2
                      it gets (and keep running: a service that reopens its logs on them)
  --tag TEXT          ignored: a mark to find the process by its command line
HTTP: GET /slow?ms=N answers after N ms; GET /bytes?n=N answers N bytes (streamed); GET
/sse?gate=FILE sends one server-sent event, then a second one only once FILE exists, then ends (a
proxy that buffered would hold the first until the end); GET /ws upgrades to a WebSocket that
echoes text messages; POST and PUT
read the whole body and answer {"pid", "bytes"} (POST /slow?ms=N after N ms); POST /die records the delivery and exits (code 9)
without answering, as a service that crashes mid-request.
Standard library only; it stops on SIGTERM unless told otherwise.
"""
import argparse
import http.server
import os
import signal
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", "0")))
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--bind-delay", type=float, default=0.0)
    ap.add_argument("--exit-after", type=float, default=None)
    ap.add_argument("--exit-code", type=int, default=1)
    ap.add_argument("--ignore-term", action="store_true")
    ap.add_argument("--grandchild", default=None)
    ap.add_argument("--pidfile", default=None)
    ap.add_argument("--chatty", type=int, default=0)
    ap.add_argument("--burn-file", default=None)
    ap.add_argument("--burn-cores", type=int, default=1)
    ap.add_argument("--grow-mb", type=int, default=0)
    ap.add_argument("--spew-mb", type=int, default=0)
    ap.add_argument("--close-stdout", action="store_true")
    ap.add_argument("--fork-on-term", action="store_true")
    ap.add_argument("--fork-grandchild", action="store_true")
    ap.add_argument("--daemonize", action="store_true")
    ap.add_argument("--deliveries", default=None)
    ap.add_argument("--signals", default=None)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()

    if args.pidfile:
        write(args.pidfile, os.getpid())
    for i in range(args.chatty):
        print("line %d of chatter from pid %d" % (i, os.getpid()))
    sys.stdout.flush()
    if args.signals:
        def record(signum, frame):
            with open(args.signals, "a") as f:
                f.write("%d %s\n" % (os.getpid(), signal.Signals(signum).name))
        for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(s, record)
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if args.grandchild:
        child = subprocess.Popen(["sleep", "600"])
        write(args.grandchild, child.pid)
    if args.exit_after == 0:
        sys.exit(args.exit_code)
    if args.exit_after is not None:
        threading.Timer(args.exit_after, lambda: os._exit(args.exit_code)).start()
    if args.burn_file:
        for _ in range(args.burn_cores):
            if os.fork() == 0:
                os.nice(19)
                burn(args.burn_file, os.getppid())
    if args.grow_mb:
        threading.Thread(target=grow, args=(args.grow_mb,), daemon=True).start()
    if args.bind_delay:
        time.sleep(args.bind_delay)

    status = args.status

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path, _, query = self.path.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            if path == "/slow":
                time.sleep(int(params.get("ms", "1000")) / 1000.0)
            if path == "/sse":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.chunk(b"data: first\n\n")
                gate = params.get("gate", "")
                for _ in range(600):
                    if os.path.exists(gate):
                        break
                    time.sleep(0.05)
                self.chunk(b"data: second\n\n")
                self.chunk(b"")
                return
            if path == "/ws":
                self.close_connection = True
                self.websocket()
                return
            if path == "/bytes":
                n = int(params.get("n", "0"))
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(n))
                self.end_headers()
                block = b"x" * 65536
                while n > 0:
                    k = min(n, len(block))
                    self.wfile.write(block[:k])
                    n -= k
                return
            self.answer('{"pid": %d, "path": "%s", "forwarded_for": "%s", "forwarded_host": "%s"}' % (
                os.getpid(), self.path, self.headers.get("X-Forwarded-For", ""), self.headers.get("X-Forwarded-Host", "")))

        def chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def websocket(self):
            import base64
            import hashlib
            import struct
            key = self.headers.get("Sec-WebSocket-Key", "")
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            while True:
                head = self.rfile.read(2)
                if len(head) < 2:
                    return
                opcode, n = head[0] & 0x0F, head[1] & 0x7F
                if n == 126:
                    n = struct.unpack(">H", self.rfile.read(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", self.rfile.read(8))[0]
                mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(n)))
                if opcode == 8:
                    self.wfile.write(b"\x88\x00")
                    self.wfile.flush()
                    return
                if opcode == 1:
                    frame = bytes([0x81]) + (bytes([len(data)]) if len(data) < 126 else b"\x7e" + struct.pack(">H", len(data)))
                    self.wfile.write(frame + data)
                    self.wfile.flush()

        def answer(self, text):
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def read_body(self):
            n = 0
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return n
                    left = size
                    while left > 0:
                        chunk = self.rfile.read(min(left, 1 << 20))
                        if not chunk:
                            return n
                        left -= len(chunk)
                        n += len(chunk)
                    self.rfile.readline()
            left = int(self.headers.get("Content-Length", "0"))
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
                n += len(chunk)
            return n

        def do_POST(self):
            if args.deliveries:
                with open(args.deliveries, "a") as f:
                    f.write("%d %s %s\n" % (os.getpid(), self.command, self.path))
            if self.path.startswith("/die"):
                os._exit(9)
            n = self.read_body()
            if self.path.startswith("/slow"):
                time.sleep(int(self.path.partition("ms=")[2] or "1000") / 1000.0)
            chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            self.answer('{"pid": %d, "bytes": %d, "chunked": %s}' % (os.getpid(), n, "true" if chunked else "false"))

        do_PUT = do_POST

        def log_message(self, fmt, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.fork_grandchild:
        sleeper()
    if args.daemonize:
        sleeper(new_session=True)
    if args.fork_on_term:
        signal.signal(signal.SIGTERM, lambda *a: (sleeper(), os._exit(0)))
    elif not args.ignore_term:
        signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    print("fake_service pid %d listening on %d" % (os.getpid(), args.port), flush=True)
    if args.spew_mb:
        threading.Thread(target=spew, args=(args.spew_mb,), daemon=True).start()
    if args.close_stdout:
        os.close(1)
        os.close(2)
    server.serve_forever()
    server.server_close()


def burn(path, parent):
    while os.getppid() == parent:
        if os.path.exists(path):
            end = time.monotonic() + 0.1
            while time.monotonic() < end:
                pass
        else:
            time.sleep(0.1)
    os._exit(0)


def sleeper(new_session=False):
    """Forks a child that sleeps for 10 minutes, keeping this command line."""
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if new_session:
            os.setsid()
        time.sleep(600)
        os._exit(0)


def spew(mib):
    line = (b"x" * 1023) + b"\n"
    chunk = line * 1024
    try:
        for _ in range(mib):
            os.write(1, chunk)
    except OSError:
        pass


HELD = []


def grow(mib):
    for _ in range(mib):
        HELD.append(bytearray(os.urandom(1 << 20)))
        time.sleep(0.1)


def write(path, value):
    with open(path + ".tmp", "w") as f:
        f.write(str(value))
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
