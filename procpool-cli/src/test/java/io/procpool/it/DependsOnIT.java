package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** depends-on over real processes: the manager's own log shows the start and stop order. */
class DependsOnIT {

    @TempDir
    Path dir;

    private Manager manager;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    @Test
    void aServiceStartsAfterItsDependencyServesAndStopsBeforeIt() throws Exception {
        int db = Manager.freePort();
        int api = Manager.freePort();
        // db binds its port only after 3 s: until then its probe fails and api must wait.
        manager.writeConfig("services {\n"
                + "  db { command = " + Manager.fake("--bind-delay 3") + ", ports = [" + db + "] }\n"
                + "  api { command = " + Manager.fake("--ignore-term") + ", ports = [" + api + "], stop.timeout = 1s,"
                + " depends-on = [db] }\n}");
        Process run = manager.run();
        JsonNode waiting = Await.value(Duration.ofSeconds(15), "api WAITING", () -> manager.status()
                .map(s -> s.path("services").path("api"))
                .filter(s -> s.path("state").asText().equals("WAITING")).orElse(null));
        assertEquals("waiting for db to have an instance ready (depends-on)", waiting.path("operation").asText());
        assertEquals(0, waiting.path("instances").size());
        long dbPid = manager.awaitInstance("db", db, "HEALTHY", Duration.ofSeconds(15));
        long apiPid = manager.awaitInstance("api", api, "HEALTHY", Duration.ofSeconds(15));
        Await.value(Duration.ofSeconds(5), "api serves", () -> Manager.servingPid(api));

        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), "exit code after SIGTERM");
        assertFalse(Manager.alive(dbPid), "db survived the manager");
        assertFalse(Manager.alive(apiPid), "api survived the manager");

        String out = manager.output();
        int dbReady = out.indexOf("db:" + db + " STARTING -> HEALTHY");
        int apiStarts = out.indexOf("api:" + api + " ");
        assertTrue(dbReady > 0 && apiStarts > dbReady, "api's first line comes after db is HEALTHY:\n" + out);
        // api ignores SIGTERM and is SIGKILLed after its 1 s; only then is db even told to stop.
        int apiGone = out.indexOf("api:" + api + " STOPPING -> STOPPED");
        int dbStops = out.indexOf("db:" + db + " HEALTHY -> STOPPING");
        assertTrue(apiGone > 0 && dbStops > apiGone, "db stops after api is gone:\n" + out);
    }
}
