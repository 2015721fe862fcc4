package io.procpool.internal.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.procpool.internal.systemd.Notifications;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notification socket ({@code NOTIFY_SOCKET}): an AF_UNIX datagram socket, which Java
 * 17 does not offer, through libc. One datagram per {@link #send}, as {@code sd_notify(3)} sends
 * it; an address that begins with {@code @} is in the abstract namespace (a leading NUL byte).
 *
 * <p>The socket is non-blocking, so a send never stalls the actor that makes it: when the
 * manager's queue is full the datagram is lost and a warning says so (systemd reads its queue at
 * once; a full one means it is stuck itself). Thread-safe; a send after {@link #close} is dropped,
 * never written to a descriptor number the process has since reused.
 */
public final class NotifySocket implements Notifications {

    private static final Logger log = LoggerFactory.getLogger(NotifySocket.class);

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sun_path's size in struct sockaddr_un. */
    private static final int PATH_MAX = 108;

    interface Sockets extends Library {
        Sockets C = Native.load("c", Sockets.class);

        int socket(int domain, int type, int protocol);

        long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrLen);

        int close(int fd);
    }

    private final String address;
    private final byte[] sockaddr;
    private int fd;
    private boolean warned;

    private NotifySocket(String address, byte[] sockaddr, int fd) {
        this.address = address;
        this.sockaddr = sockaddr;
        this.fd = fd;
    }

    /**
     * A socket that sends to {@code address} (a path, or {@code @name}).
     *
     * @throws IllegalArgumentException when the address does not fit a sockaddr_un
     * @throws IllegalStateException when no socket can be made
     */
    public static NotifySocket open(String address) {
        byte[] sockaddr = sockaddr(address);
        int fd = Sockets.C.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("cannot make a socket for NOTIFY_SOCKET " + address + ": errno " + Native.getLastError());
        }
        return new NotifySocket(address, sockaddr, fd);
    }

    /** struct sockaddr_un for {@code address}: the family, then the path (NUL-terminated) or NUL and the abstract name. */
    static byte[] sockaddr(String address) {
        boolean abstractName = address.startsWith("@");
        byte[] path = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        int length = 1 + path.length; // the leading NUL of an abstract name, or the trailing NUL of a path
        if (length > PATH_MAX) {
            throw new IllegalArgumentException("NOTIFY_SOCKET " + address + " is longer than a socket address can be ("
                    + (PATH_MAX - 1) + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(2 + length).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_UNIX);
        if (abstractName) {
            b.put((byte) 0).put(path);
        } else {
            b.put(path).put((byte) 0);
        }
        return b.array();
    }

    @Override
    public synchronized void send(String state) {
        if (fd < 0) {
            return;
        }
        byte[] message = state.getBytes(StandardCharsets.UTF_8);
        long sent = Sockets.C.sendto(fd, message, message.length, MSG_NOSIGNAL, sockaddr, sockaddr.length);
        if (sent < 0) {
            int errno = Native.getLastError();
            if (!warned) {
                warned = true; // once: a manager that does not listen would fill the log otherwise
                log.warn("cannot notify the service manager at {} (errno {}); '{}' and perhaps later notifications are lost",
                        address, errno, state.replace('\n', ' '));
            }
        } else {
            warned = false;
        }
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            Sockets.C.close(fd);
            fd = -1;
        }
    }
}
