package io.procpool.api;

/**
 * The answer to an operation on a service (scale, restart, stop, start, reconfigure).
 *
 * @param outcome how it went
 * @param message what happened, or why not, for people
 * @param details more lines, such as every error of an invalid configuration
 */
public record OpResult(Outcome outcome, String message, java.util.List<String> details) {

    /** Copies {@code details}: a result is immutable. */
    public OpResult {
        details = java.util.List.copyOf(details);
    }

    /** A result without details. */
    public OpResult(Outcome outcome, String message) {
        this(outcome, message, java.util.List.of());
    }

    /** How an operation went; the admin API maps these to HTTP statuses. */
    public enum Outcome {
        /** Done. */
        OK,
        /** The request itself is wrong (a count outside min..max). */
        INVALID,
        /** No such service. */
        NOT_FOUND,
        /** Not now: another operation is under way, or the service is disabled or stopped. */
        CONFLICT,
        /** It was tried and did not work (a replacement never became healthy). */
        FAILED,
        /**
         * No answer within the time the caller waits (the pool is very busy or shutting down); an
         * operation under way goes on.
         */
        UNAVAILABLE
    }

    /** Done. */
    public static OpResult ok(String message) {
        return new OpResult(Outcome.OK, message);
    }

    /** The request itself is wrong. */
    public static OpResult invalid(String message) {
        return new OpResult(Outcome.INVALID, message);
    }

    /** No such service. */
    public static OpResult notFound(String message) {
        return new OpResult(Outcome.NOT_FOUND, message);
    }

    /** Not now. */
    public static OpResult conflict(String message) {
        return new OpResult(Outcome.CONFLICT, message);
    }

    /** Tried, and it did not work. */
    public static OpResult failed(String message) {
        return new OpResult(Outcome.FAILED, message);
    }

    /** No answer in time. */
    public static OpResult unavailable(String message) {
        return new OpResult(Outcome.UNAVAILABLE, message);
    }

    /** True for {@link Outcome#OK}. */
    public boolean ok() {
        return outcome == Outcome.OK;
    }
}
