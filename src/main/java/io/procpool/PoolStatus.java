package io.procpool;

import java.util.List;

/** Every configured service at one moment, in configuration order; immutable. */
public record PoolStatus(List<ServiceStatus> services) {

    public PoolStatus {
        services = List.copyOf(services);
    }
}
