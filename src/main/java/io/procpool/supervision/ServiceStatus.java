package io.procpool.supervision;

import java.util.List;

/**
 * One service at one moment; immutable.
 *
 * @param name the service
 * @param state the service as a whole
 * @param desired how many instances it should run
 * @param instances its instances, by port order
 */
public record ServiceStatus(String name, ServiceState state, int desired, List<InstanceStatus> instances) {

    public ServiceStatus {
        instances = List.copyOf(instances);
    }

    /** A configured service that is not started. */
    public static ServiceStatus disabled(String name) {
        return new ServiceStatus(name, ServiceState.DISABLED, 0, List.of());
    }
}
