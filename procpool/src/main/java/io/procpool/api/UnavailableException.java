package io.procpool.api;

/** The pool did not answer within the time its caller waits: it is very busy, or shutting down. */
public final class UnavailableException extends RuntimeException {

    public UnavailableException(String message) {
        super(message, null, false, false);
    }
}
