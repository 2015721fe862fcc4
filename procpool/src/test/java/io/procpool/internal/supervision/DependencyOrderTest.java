package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.config.TestConfigs;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The order depends-on gives, without an actor. */
class DependencyOrderTest {

    private static final Map<String, ServiceSettings> CHAIN = TestConfigs.pool("""
            services {
              db { command = db, ports = [7001] }
              cache { command = cache, ports = [7002] }
              api { command = api, ports = [7003], depends-on = [db, cache] }
              web { command = web, ports = [7004], depends-on = [api] }
              solo { command = solo, ports = [7005] }
            }
            """).services();

    @Test
    void unreadyListsTheDependenciesWithoutAReadyInstanceInTheOrderWritten() {
        assertEquals(List.of("db", "cache"), DependencyOrder.unready(CHAIN.get("api"), Set.<String>of()::contains));
        assertEquals(List.of("cache"), DependencyOrder.unready(CHAIN.get("api"), Set.of("db")::contains));
        assertEquals(List.of(), DependencyOrder.unready(CHAIN.get("api"), Set.of("db", "cache")::contains));
        assertEquals(List.of(), DependencyOrder.unready(CHAIN.get("solo"), Set.<String>of()::contains));
    }

    @Test
    void stoppableIsWhatNoRunningServiceDependsOn() {
        List<String> all = List.of("db", "cache", "api", "web", "solo");
        assertEquals(List.of("web", "solo"), DependencyOrder.stoppable(CHAIN, all));
        assertEquals(List.of("api"), DependencyOrder.stoppable(CHAIN, List.of("db", "cache", "api")));
        assertEquals(List.of("db", "cache"), DependencyOrder.stoppable(CHAIN, List.of("db", "cache")));
        assertEquals(List.of("api"), DependencyOrder.dependents(CHAIN, all, "db"));
        assertEquals(List.of(), DependencyOrder.dependents(CHAIN, all, "web"));
        assertEquals(List.of("api"), DependencyOrder.dependents(CHAIN, all, "cache"));
    }

    @Test
    void stoppableStopsEveryServiceOfACycleRatherThanNone() {
        // Past the loader only (it refuses cycles): a configuration built by hand.
        PoolSettings a = TestConfigs.pool("services.a { command = a, ports = [7001] }\nservices.b { command = b, ports = [7002] }");
        Map<String, ServiceSettings> cycle = new LinkedHashMap<>();
        cycle.put("a", withDependsOn(a.services().get("a"), List.of("b")));
        cycle.put("b", withDependsOn(a.services().get("b"), List.of("a")));
        assertEquals(List.of("a", "b"), DependencyOrder.stoppable(cycle, List.of("a", "b")));
        assertEquals(Duration.ofSeconds(2), DependencyOrder.longestChain(cycle, s -> Duration.ofSeconds(1)));
    }

    @Test
    void longestChainAddsTheCostOfEachServiceAlongTheLongestPath() {
        Map<String, Duration> cost = Map.of("db", Duration.ofSeconds(30), "cache", Duration.ofSeconds(5),
                "api", Duration.ofSeconds(10), "web", Duration.ofSeconds(1), "solo", Duration.ofSeconds(35));
        // web -> api -> db: 1 + 10 + 30; solo alone is 35.
        assertEquals(Duration.ofSeconds(41), DependencyOrder.longestChain(CHAIN, s -> cost.get(s.name())));
    }

    private static ServiceSettings withDependsOn(ServiceSettings s, List<String> dependsOn) {
        return new ServiceSettings(s.name(), s.enabled(), s.command(), s.ports(), s.minProcesses(), s.maxProcesses(),
                s.workingDir(), s.env(), s.health(), s.restart(), s.stop(), s.log(), s.scaling(), s.limits(), s.route(),
                s.drain(), dependsOn, s.runAs(), s.placementRoles());
    }
}
