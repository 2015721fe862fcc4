package io.procpool.internal.cluster;

import static io.procpool.internal.cluster.InJvmNodes.await;
import static io.procpool.internal.cluster.InJvmNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;
import io.procpool.api.ClusterStatus;
import io.procpool.config.InvalidConfigException;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes over Artery TLS ({@code cluster.tls}), with a key store made by the JDK's keytool as
 * docs/cluster.md shows: they form a cluster and place instances on each other; a wrong password
 * is an error at load that names the key.
 */
class ClusterTlsTest {


    @TempDir
    Path dir;

    private final List<ProcessPool> pools = new ArrayList<>();

    @AfterEach
    void stop() {
        InJvmNodes.closeAll(pools);
    }



    /** A PKCS12 key store with one self-signed key, made as docs/cluster.md says, and its password file (0600). */
    private void keyStore(String password) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "procpool-node", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=procpool-node", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                dir.resolve("cluster.p12").toString(), "-storepass", password, "-keypass", password)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool: " + out);
        Path file = dir.resolve("cluster.password");
        Files.writeString(file, password + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private Config node(int clusterPort, String seeds, int firstPort) {
        return ConfigFactory.parseString("procpool { admin.enabled = false\n"
                + "cluster { enabled = true, bind = \"127.0.0.1:" + clusterPort + "\", seed-nodes = " + seeds + "\n"
                + "  tls { enabled = true, key-store = cluster.p12, password-file = cluster.password } }\n"
                + "services.web { command = srv, ports = [" + firstPort + ", " + (firstPort + 1) + "], "
                + "min-processes = 2, max-processes = 4, health-check { type = tcp, interval = 200ms } } }");
    }

    private ProcessPool start(Config config, String name) throws Exception {
        SimulatedLauncher launcher = new SimulatedLauncher();
        return ProcessPool.builder(config).source(name).baseDir(dir).launcher(launcher)
                .healthProbe(sys -> new SimulatedHealthProbe(launcher)).start();
    }

    @Test
    void twoNodesOverTlsFormAClusterAndShareTheInstances() throws Exception {
        keyStore("a secret of the test's");
        int a = freePort();
        int b = freePort();
        String seeds = "[\"127.0.0.1:" + a + "\", \"127.0.0.1:" + b + "\"]";
        pools.add(start(node(a, seeds, 42100), "node-1"));
        pools.add(start(node(b, seeds, 42110), "node-2"));
        for (ProcessPool pool : pools) {
            await("both nodes in the view and 1 ready on each", () -> {
                var status = pool.status().toCompletableFuture().join();
                List<String> nodes = status.cluster().map(ClusterStatus::nodes).orElse(List.of());
                return nodes.size() == 2 && status.services().get(0).ready().stream().map(i -> i.node()).distinct().count() == 2;
            });
        }
    }

    @Test
    void aPasswordThatDoesNotOpenTheKeyStoreIsAnErrorThatNamesTheKey() throws Exception {
        keyStore("the right one");
        Files.writeString(dir.resolve("cluster.password"), "a wrong one\n");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> start(node(freePort(), "[\"127.0.0.1:1\"]", 42120),
                "node-1"));
        assertTrue(e.getMessage().contains("cluster.tls.key-store") && e.getMessage().contains("does not open with the password"),
                e.getMessage());
        assertEquals(0, pools.size());
    }
}
