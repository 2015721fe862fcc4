package io.procpool.api;

import io.procpool.config.ServiceSettings;
import java.util.List;
import java.util.Optional;

/**
 * One service at one moment; immutable.
 *
 * @param name the service
 * @param state the service as a whole
 * @param desired how many instances it should run
 * @param instances its instances, by port order
 * @param settings the settings it runs with (commands, ports, probe)
 * @param operation the operation under way (such as a rolling restart), if any
 * @param lastOperation the latest operation that ended, with its outcome, if any
 * @param load on a cluster node with {@code scaling.enabled}: the scaling metric's latest
 *     reading per ready instance here, which the cluster's autoscaling averages over the nodes;
 *     empty otherwise
 */
public record ServiceStatus(String name, ServiceState state, int desired, List<InstanceStatus> instances,
                            ServiceSettings settings, Optional<String> operation, Optional<OperationEvent> lastOperation,
                            java.util.OptionalDouble load) {

    /** A status without a load reading. */
    public ServiceStatus(String name, ServiceState state, int desired, List<InstanceStatus> instances,
                         ServiceSettings settings, Optional<String> operation, Optional<OperationEvent> lastOperation) {
        this(name, state, desired, instances, settings, operation, lastOperation, java.util.OptionalDouble.empty());
    }

    /** This status with {@code load} as its load reading. */
    public ServiceStatus withLoad(java.util.OptionalDouble load) {
        return new ServiceStatus(name, state, desired, instances, settings, operation, lastOperation, load);
    }

    /** Copies the list: a status is immutable. */
    public ServiceStatus {
        instances = List.copyOf(instances);
    }

    /** A status of a service on which no operation has ended yet. */
    public ServiceStatus(String name, ServiceState state, int desired, List<InstanceStatus> instances,
                         ServiceSettings settings, Optional<String> operation) {
        this(name, state, desired, instances, settings, operation, Optional.empty());
    }

    /** A configured service that is not started. */
    public static ServiceStatus disabled(ServiceSettings settings) {
        return new ServiceStatus(settings.name(), ServiceState.DISABLED, 0, List.of(), settings, Optional.empty());
    }

    /** The instances that should get traffic. */
    public List<InstanceStatus> ready() {
        return instances.stream().filter(InstanceStatus::ready).toList();
    }

    /**
     * How many ready instances this service needs to count as up (the readiness of
     * {@code GET /readyz} and of systemd's {@code READY=1}): its {@code min-processes}, and none
     * when it is disabled or stopped by an operator (it wants no instance then).
     */
    public int required() {
        if (state == ServiceState.DISABLED || settings == null || !settings.enabled()) {
            return 0;
        }
        return Math.min(settings.minProcesses(), desired);
    }

    /** True when at least {@link #required()} instances are ready. */
    public boolean readyEnough() {
        return ready().size() >= required();
    }
}
