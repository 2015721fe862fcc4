#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, used by procpool's integration tests.

Usage: notify_receiver.py ADDRESS LOG
Binds an AF_UNIX datagram socket at ADDRESS (a path, or @name for the abstract namespace), as
systemd does for NOTIFY_SOCKET, and appends every datagram to LOG as one JSON line
{"pid": SENDER_PID, "state": "READY=1\\nSTATUS=..."}; the sender's pid comes from the kernel
(SO_PASSCRED), as systemd's NotifyAccess=main checks it. Writes "bound" to LOG.ready once it
listens. Standard library only; runs until killed.
"""
import json
import os
import socket
import struct
import sys


def main():
    address, log = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind("\0" + address[1:] if address.startswith("@") else address)
    with open(log + ".ready", "w") as f:
        f.write("bound\n")
    creds = struct.calcsize("3i")
    with open(log, "a") as out:
        while True:
            data, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds))
            pid = None
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:creds])[0]
            out.write(json.dumps({"pid": pid, "state": data.decode("utf-8", "replace")}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
