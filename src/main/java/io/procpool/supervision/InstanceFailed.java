package io.procpool.supervision;

/**
 * Thrown by an {@link InstanceActor} whose process exited unexpectedly or was stopped for failing
 * its health checks, once the whole process group is gone. It is the one failure the
 * {@link PoolActor} supervises with restart-with-backoff; anything else thrown by an instance is a
 * bug and stops it (FAILED, retried after the cooldown).
 */
public final class InstanceFailed extends RuntimeException {

    private final String reason;

    public InstanceFailed(String label, String reason) {
        super(label + ": " + reason, null, false, false);
        this.reason = reason;
    }

    /** Why the instance failed, for logs and status. */
    public String reason() {
        return reason;
    }
}
