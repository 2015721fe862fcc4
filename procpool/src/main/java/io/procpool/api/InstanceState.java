package io.procpool.api;

/**
 * The states an instance is reported in (supervisord's process states, Kubernetes' readiness).
 *
 * <pre>
 *   STARTING -> RUNNING | HEALTHY      process started (RUNNING when the service has no probe)
 *   HEALTHY  -> UNHEALTHY              probe thresholds crossed
 *   any live -> STOPPING -> STOPPED    commanded stop: signal, deadline, SIGKILL
 *   any live -> BACKOFF -> STARTING    unexpected exit or UNHEALTHY: restart after a delay
 *   BACKOFF  -> FAILED                 restart budget spent; retried after the cooldown
 *   FAILED   -> STARTING               cooldown over
 * </pre>
 */
public enum InstanceState {
    /** Being started, or started and not yet seen healthy. */
    STARTING,
    /** Alive; the service has no health probe. */
    RUNNING,
    /** Alive and passing its health probe: in the ready set. */
    HEALTHY,
    /** Alive and failing its health probe: out of the ready set, about to be restarted. */
    UNHEALTHY,
    /** Exited or failed; waiting out the restart delay. */
    BACKOFF,
    /** Being stopped: signal sent, waiting for the process group to go. */
    STOPPING,
    /** Not running, by command. */
    STOPPED,
    /** Not running: the restart budget is spent or it cannot be started; see the cooldown. */
    FAILED;

    /** True when a process may be alive in this state. */
    public boolean live() {
        return this == STARTING || this == RUNNING || this == HEALTHY || this == UNHEALTHY || this == STOPPING;
    }
}
