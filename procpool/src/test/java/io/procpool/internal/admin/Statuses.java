package io.procpool.internal.admin;

import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import io.procpool.api.HealthFigures;
import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** A fixed pool status for tests of what the admin API makes of it. */
public final class Statuses {

    public static final PoolSettings SETTINGS = TestConfigs.pool("""
            services {
              search { command = "./build/search.cgi {port}", ports = [8000, 8001, 8002], min-processes = 1,
                       max-processes = 3, health-check { path = "/?q=health", interval = 2500ms, timeout = 1s } }
              auth { command = "./build/auth.cgi", ports = [8010], health-check = "/?user=health" }
              tcp { command = "./x", ports = [8020] }
              off { command = "./y", ports = [8030], enabled = false }
            }
            """);

    private Statuses() {
    }

    public static InstanceStatus instance(int port, InstanceState state) {
        return new InstanceStatus(port, OptionalLong.of(1000 + port), state, 0, 0, Optional.empty(), "reason",
                Optional.of(new HealthFigures(1.5, 0, null)), List.of("./build/search.cgi", Integer.toString(port)),
                Path.of("var/procpool/logs/search-" + port + ".log"), List.of());
    }

    public static PoolStatus pool() {
        return new PoolStatus(List.of(
                new ServiceStatus("search", ServiceState.DEGRADED, 2,
                        List.of(instance(8000, InstanceState.HEALTHY), instance(8001, InstanceState.STARTING)),
                        SETTINGS.services().get("search"), Optional.empty(), Optional.of(new io.procpool.api.OperationEvent(
                                java.time.Instant.parse("2026-12-05T10:00:00Z"), "search", "rolling restart",
                                Optional.of(io.procpool.api.OpResult.ok("restarted 1 instance(s) of search"))))),
                new ServiceStatus("auth", ServiceState.DEGRADED, 1, List.of(instance(8010, InstanceState.BACKOFF)),
                        SETTINGS.services().get("auth"), Optional.empty()),
                new ServiceStatus("tcp", ServiceState.RUNNING, 1, List.of(instance(8020, InstanceState.HEALTHY)),
                        SETTINGS.services().get("tcp"), Optional.empty()),
                ServiceStatus.disabled(SETTINGS.services().get("off"))), 0);
    }
}
