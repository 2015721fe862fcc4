package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** procpool.cluster: off by default, read as written, and each mistake named with its key. */
class ClusterConfigTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    @Test
    void offByDefault() throws Exception {
        PoolSettings pool = files.load("pool.conf", "procpool.services.search { command = \"./s\", ports = [8000] }");
        assertEquals(ClusterSettings.DISABLED, pool.cluster());
    }

    @Test
    void aNodeIsReadAsWrittenAndItsCountsAreTheClusters() throws Exception {
        PoolSettings pool = files.load("pool.conf", """
                procpool {
                  cluster {
                    enabled = true
                    bind = "127.0.0.1:25521"
                    seed-nodes = ["127.0.0.1:25520", "127.0.0.1:25521"]
                    roles = [web]
                    on-downed = exit
                  }
                  services.web { command = "./s", ports = [8000, 8001, 8002], min-processes = 6, max-processes = 9 }
                }
                """);
        ClusterSettings c = pool.cluster();
        assertEquals(true, c.enabled());
        assertEquals(new ClusterSettings.HostPort("127.0.0.1", 25521), c.self());
        assertEquals(List.of(new ClusterSettings.HostPort("127.0.0.1", 25520), new ClusterSettings.HostPort("127.0.0.1", 25521)),
                c.seedNodes());
        assertEquals(List.of("web"), c.roles());
        assertEquals(ClusterSettings.OnDowned.EXIT, c.onDowned());
        // 6 across the cluster with 3 ports here: the ports are this node's share, not the limit.
        assertEquals(6, pool.services().get("web").minProcesses());
    }

    @Test
    void tlsWithoutItsFilesIsAnErrorThatNamesEachKey() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("open.password"), "pw\n");
        List<ConfigError> errors = files.errors("pool.conf", """
                procpool {
                  cluster {
                    enabled = true
                    seed-nodes = ["127.0.0.1:25520"]
                    tls { enabled = true, key-store = missing.p12, password-file = open.password, trust-store = "", cipher = x }
                  }
                  services.web { command = "./s", ports = [8000] }
                }
                """);
        String all = errors.stream().map(ConfigError::render).reduce("", (x, y) -> x + "\n" + y);
        assertTrue(all.contains("'procpool.cluster.tls.cipher': unknown key"), all);
        assertTrue(all.contains("'procpool.cluster.tls.key-store': " + dir.resolve("missing.p12") + " does not exist"), all);
        // A password others may read is no secret (as admin.token-file).
        assertTrue(all.contains("'procpool.cluster.tls.password-file': "), all);
        String none = files.errors("pool.conf", """
                procpool.cluster { enabled = true, seed-nodes = ["127.0.0.1:25520"], tls { enabled = true, key-store = k.p12 } }
                procpool.services.web { command = "./s", ports = [8000] }
                """).stream().map(ConfigError::render).reduce("", (x, y) -> x + "\n" + y);
        assertTrue(none.contains("'procpool.cluster.tls.password-file': must name the file"), none);
        assertTrue(none.contains("'procpool.cluster.tls.key-store': " + dir.resolve("k.p12") + " does not exist"), none);
    }

    @Test
    void placementRolesAreReadOnAClusterNodeAndRefusedOnAPoolAlone() throws Exception {
        PoolSettings pool = files.load("pool.conf", """
                procpool.cluster { enabled = true, seed-nodes = ["127.0.0.1:25520"], roles = [gpu] }
                procpool.services.web { command = "./s", ports = [8000], placement.roles = [gpu, big] }
                """);
        assertEquals(List.of("gpu", "big"), pool.services().get("web").placementRoles());
        ConfigError alone = ConfigFiles.only(files.errors("pool.conf", """
                procpool.services.web { command = "./s", ports = [8000], placement.roles = [gpu] }
                """));
        assertTrue(alone.render().contains("'placement.roles'") && alone.render().contains("procpool.cluster.enabled is off"),
                alone.render());
    }

    @Test
    void withoutTheClusterTheCountsStillNeedPorts() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf",
                "procpool.services.web { command = \"./s\", ports = [8000], min-processes = 2, max-processes = 2 }"));
        assertTrue(e.render().contains("must not exceed the number of ports"), e.render());
    }

    @Test
    void eachMistakeIsNamedWithItsKey() throws Exception {
        List<ConfigError> errors = files.errors("pool.conf", """
                procpool {
                  admin.port = 9900
                  children-die-with-manager = false
                  cluster {
                    enabled = true
                    bind = "0.0.0.0:9900"
                    seed-nodes = ["127.0.0.1", "127.0.0.1:99999", "10.0.0.1:25520", "10.0.0.1:25520"]
                    roles = ["dc-east"]
                    on-downed = sleep
                    colour = blue
                  }
                  services.web { command = "./s", ports = [8000, 8001], min-processes = 1, max-processes = 2,
                                 scaling { enabled = true, metric = in-flight } }
                }
                """);
        String all = errors.stream().map(ConfigError::render).reduce("", (x, y) -> x + "\n" + y);
        assertTrue(all.contains("'procpool.cluster.colour': unknown key"), all);
        assertTrue(all.contains("'procpool.cluster.seed-nodes': (127.0.0.1): each seed node must be \"host:port\""), all);
        assertTrue(all.contains("'procpool.cluster.seed-nodes': (127.0.0.1:99999): the port must be a number from 1 to 65535"), all);
        assertTrue(all.contains("names 10.0.0.1:25520 twice"), all);
        assertTrue(all.contains("'procpool.cluster.roles': 'dc-east' is not a role name"), all);
        assertTrue(all.contains("'procpool.cluster.on-downed': must be rejoin or exit, got \"sleep\""), all);
        assertTrue(all.contains("'procpool.cluster.advertise-host': must be set when bind listens on every address"), all);
        assertTrue(all.contains("'procpool.cluster.bind': (9900) is also procpool.admin.port"), all);
        assertTrue(all.contains("'procpool.children-die-with-manager': must be true on a cluster node"), all);
        assertTrue(all.contains("service 'web' autoscales on in-flight requests"), all);
    }

    @Test
    void aBindWithoutAPortIsNamed() throws Exception {
        ConfigError e = ConfigFiles.only(files.errors("pool.conf", """
                procpool {
                  cluster { enabled = true, bind = "127.0.0.1", seed-nodes = ["127.0.0.1:25520"] }
                  services.web { command = "./s", ports = [8000] }
                }
                """));
        assertTrue(e.render().contains("'procpool.cluster.bind': (127.0.0.1): bind must be \"host:port\""), e.render());
    }
}
