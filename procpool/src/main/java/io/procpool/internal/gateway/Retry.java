package io.procpool.internal.gateway;

import java.net.ConnectException;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a failed attempt is tried again on another instance. The rule: a request that never
 * reached the instance (its connection was refused or reset before the request was written) is
 * tried again whatever its method; one that may have reached it only when its method is
 * idempotent, and only once; a POST is never delivered twice.
 */
final class Retry {

    /** How an attempt failed. */
    enum Failure {
        /** The connection could not be made: nothing was written. */
        CONNECT,
        /** The connection broke, or the instance closed it, after the request may have been written. */
        AFTER_WRITE,
        /** The instance did not begin its answer within the route's request timeout. */
        TIMEOUT,
        /** The gateway's own limit (its connection pool to the instance is full). */
        OVERLOAD;

        /** The {@code reason} label of {@code procpool_gateway_retries_total}. */
        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The methods a client may send twice with the same effect (RFC 9110, 9.2.2), minus TRACE. */
    static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");

    /** Tries at most this many instances for one request whose connections are refused. */
    static final int MAX_CONNECT_ATTEMPTS = 4;

    private Retry() {
    }

    /**
     * Try again on another instance?
     *
     * @param failure how this attempt failed
     * @param method the request's method
     * @param bodyReplayable the body can be sent again (none, held in memory, or not yet read)
     * @param attempts attempts so far, this one included
     * @param writtenRetries retries already made after a failure past the write
     */
    static boolean again(Failure failure, String method, boolean bodyReplayable, int attempts, int writtenRetries) {
        return switch (failure) {
            case CONNECT -> bodyReplayable && attempts < MAX_CONNECT_ATTEMPTS;
            case AFTER_WRITE -> IDEMPOTENT.contains(method) && bodyReplayable && writtenRetries == 0;
            case TIMEOUT, OVERLOAD -> false;
        };
    }

    /** The failures {@link #again} may try again after: the reasons of procpool_gateway_retries_total. */
    static final java.util.Set<Failure> RETRIED = java.util.EnumSet.of(Failure.CONNECT, Failure.AFTER_WRITE);

    /** How {@code error}, the failure of an attempt, failed. */
    static Failure classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException) {
                return Failure.CONNECT;
            }
            if (t instanceof java.util.concurrent.TimeoutException) {
                return Failure.TIMEOUT;
            }
            String type = t.getClass().getSimpleName();
            String message = String.valueOf(t.getMessage());
            // Pekko reports a failed connect as a StreamTcpException naming the Connect command.
            if (type.equals("StreamTcpException") && message.contains("Connect(")) {
                return Failure.CONNECT;
            }
            if (type.equals("BufferOverflowException") || message.contains("max-open-requests")) {
                return Failure.OVERLOAD;
            }
        }
        return Failure.AFTER_WRITE;
    }
}
