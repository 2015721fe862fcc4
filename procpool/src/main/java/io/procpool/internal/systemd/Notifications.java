package io.procpool.internal.systemd;

/**
 * Where procpool's notifications to the service manager go: systemd's {@code NOTIFY_SOCKET}
 * ({@code sd_notify(3)}), or a fake in tests.
 *
 * <p>Contract: {@link #send} never blocks and never throws. It does NOT promise delivery: a
 * datagram the manager's queue has no room for is lost (and logged), and nothing says whether
 * the manager acted on it. After {@link #close} every send is dropped.
 */
public interface Notifications extends AutoCloseable {

    /** Nowhere: procpool does not run under a service manager that listens. */
    Notifications NONE = new Notifications() {
        @Override
        public void send(String state) {
        }

        @Override
        public void close() {
        }
    };

    /**
     * Sends one notification: newline-separated {@code VARIABLE=value} assignments, as
     * {@code sd_notify(3)} takes them ({@code "READY=1\nSTATUS=..."}).
     */
    void send(String state);

    /** Drops every later send and releases what sending holds. */
    @Override
    void close();
}
