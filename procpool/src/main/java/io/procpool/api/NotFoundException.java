package io.procpool.api;

/** A request named a service that the pool does not have, or a port that the service does not have. */
public final class NotFoundException extends IllegalArgumentException {

    public NotFoundException(String message) {
        super(message);
    }
}
