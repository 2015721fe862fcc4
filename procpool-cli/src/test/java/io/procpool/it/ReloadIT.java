package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload over real processes: only what changed is touched; an invalid file changes nothing. */
class ReloadIT {

    private static final String PROBE = "health-check { path = \"/h\", interval = 500ms }";

    @TempDir
    Path dir;

    private Manager manager;
    private int keep;
    private int gone;
    private int change;
    private int fresh;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
        keep = Manager.freePort();
        gone = Manager.freePort();
        change = Manager.freePort();
        fresh = Manager.freePort();
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    private String before(String extra) {
        return extra + "services {\n"
                + "  keep { command = " + Manager.fake("") + ", ports = [" + keep + "], " + PROBE + " }\n"
                + "  gone { command = " + Manager.fake("") + ", ports = [" + gone + "], " + PROBE + " }\n"
                + "  change { command = " + Manager.fake("--status 200") + ", ports = [" + change + "], " + PROBE + " }\n}";
    }

    private String after(String extra) {
        return extra + "services {\n"
                + "  keep { command = " + Manager.fake("") + ", ports = [" + keep + "], " + PROBE + " }\n"
                + "  change { command = " + Manager.fake("--status 204") + ", ports = [" + change + "], " + PROBE + " }\n"
                + "  fresh { command = " + Manager.fake("") + ", ports = [" + fresh + "], " + PROBE + " }\n}";
    }

    private HttpResponse<String> postReload() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + manager.adminPort + "/reload")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Starts the first configuration and returns the pids of keep, gone and change. */
    private long[] startBefore(String extra) throws Exception {
        manager.writeConfig(before(extra));
        manager.run();
        return new long[] {manager.awaitInstance("keep", keep, "HEALTHY", Duration.ofSeconds(20)),
            manager.awaitInstance("gone", gone, "HEALTHY", Duration.ofSeconds(20)),
            manager.awaitInstance("change", change, "HEALTHY", Duration.ofSeconds(20))};
    }

    private void assertReloaded(long[] pids) {
        long freshPid = Await.value(Duration.ofSeconds(5), "fresh serves", () -> Manager.servingPid(fresh));
        manager.track(freshPid);
        Await.until(Duration.ofSeconds(10), "change rolled to a new pid", () -> manager.instance("change", change)
                .map(i -> i.path("state").asText().equals("HEALTHY") && i.path("pid").asLong() != pids[2]).orElse(false));
        assertEquals(pids[0], manager.instance("keep", keep).orElseThrow().path("pid").asLong(), "keep untouched");
        Await.until(Duration.ofSeconds(10), "gone's process gone", () -> !Manager.alive(pids[1]));
        assertTrue(manager.status().orElseThrow().path("services").path("gone").isMissingNode());
    }

    @Test
    void postReloadAddsRemovesRollsAndLeavesTheRestAlone() throws Exception {
        long[] pids = startBefore("");
        manager.writeConfig(after(""));
        HttpResponse<String> r = postReload();
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("added: fresh; removed: gone; rolled: change; unchanged: keep"), r.body());
        assertReloaded(pids);
    }

    @Test
    void anInvalidFileChangesNothingAndListsItsErrors() throws Exception {
        long[] pids = startBefore("");
        manager.writeConfig(after("").replace("ports = [" + fresh + "]", "ports = [" + keep + "], prots = 1"));
        HttpResponse<String> r = postReload();
        assertEquals(400, r.statusCode(), r.body());
        JsonNode body = Manager.JSON.readTree(r.body());
        assertTrue(body.path("error").asText().contains("nothing changed"), r.body());
        assertEquals(2, body.path("detail").size(), r.body());
        assertTrue(body.path("detail").toString().contains("did you mean 'ports'"), r.body());
        assertTrue(body.path("detail").toString().contains("already used by service 'keep'"), r.body());
        for (String[] s : new String[][] {{"keep", "" + keep}, {"gone", "" + gone}, {"change", "" + change}}) {
            int i = List.of("keep", "gone", "change").indexOf(s[0]);
            assertEquals(pids[i], manager.instance(s[0], Integer.parseInt(s[1])).orElseThrow().path("pid").asLong());
        }
        assertFalse(manager.status().orElseThrow().path("services").has("fresh"));
    }

    @Test
    void sighupReloads() throws Exception {
        long[] pids = startBefore("");
        manager.writeConfig(after(""));
        Process run = manager.runs().get(0);
        Manager.signal(run.pid(), "HUP");
        assertReloaded(pids);
        assertTrue(run.isAlive());
        assertFalse(manager.output().contains("SIGHUP is ignored"), manager.output());
    }

    @Test
    void aManagerStartedWithSighupIgnoredSaysHowElseToReload() throws Exception {
        manager.writeConfig(before(""));
        manager.startIgnoringHangup("run", "--config", "pool.conf");
        long[] pids = {manager.awaitInstance("keep", keep, "HEALTHY", Duration.ofSeconds(20)),
            manager.awaitInstance("gone", gone, "HEALTHY", Duration.ofSeconds(20)),
            manager.awaitInstance("change", change, "HEALTHY", Duration.ofSeconds(20))};
        assertTrue(manager.output().contains("SIGHUP is ignored by this process (started under nohup, or by a script that "
                + "ignores it), so 'kill -HUP' will not reload the configuration; reload with 'poolctl reload', POST /reload, "
                + "or pool.watch-config = true"), manager.output());
        manager.writeConfig(after(""));
        assertEquals(200, postReload().statusCode(), "the other ways work");
        assertReloaded(pids);
    }

    @Test
    void watchConfigReloadsWhenTheFileChanges() throws Exception {
        long[] pids = startBefore("watch-config = true\n");
        assertNotEquals(0, pids[0]);
        manager.writeConfig(after("watch-config = true\n"));
        assertReloaded(pids);
    }
}
