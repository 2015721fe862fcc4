package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, not part of the integration suite (its name matches none of failsafe's patterns):
 * {@code make bench-dashboard}. How long a user watching the dashboard waits, after an instance of
 * the C sample service is killed with SIGKILL, to see it HEALTHY again on the same page, over
 * {@value #TRIALS} kills, each an instance's first crash in its run (the restart's default first
 * backoff, 100 ms with jitter), split into the manager's part (its own HEALTHY event) and the
 * page's. The goal: back to HEALTHY on the page within 2 s. Writes its section of
 * docs/benchmarks.md.
 */
class DashboardLatencyBench {

    private static final int INSTANCES = 10;
    private static final int TRIALS = 30;
    private static final Path SAMPLE = Path.of("../build/search.cgi").toAbsolutePath().normalize();
    private static final String BEGIN = "<!-- bench-dashboard: begin -->";
    private static final String END = "<!-- bench-dashboard: end -->";

    @TempDir
    Path dir;

    /** One kill: milliseconds from the SIGKILL to each step. */
    private record Trial(long pageDown, long managerHealthy, long pageHealthy) {
    }

    @Test
    void killToHealthyOnThePage() throws Exception {
        assertTrue(Files.isExecutable(SAMPLE), SAMPLE + ": run make samples first");
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            ports.add(Manager.freePort());
        }
        List<Trial> trials = new ArrayList<>();
        try (Manager manager = new Manager(dir)) {
            // The default pool's probe (conf/pool.conf: defaults but the path); reset-after short
            // enough that each kill is an instance's first crash of a stable run, as a single
            // crash in production is.
            manager.writeConfig("services.search { command = \"" + SAMPLE + "\", ports = " + ports
                    + ", min-processes = " + INSTANCES + ", max-processes = " + INSTANCES
                    + ", health-check = \"/?q=health\", restart.reset-after = 2s }");
            manager.run();
            for (int port : ports) {
                manager.awaitInstance("search", port, "HEALTHY", Duration.ofSeconds(60));
            }
            try (Browser browser = new Browser(dir)) {
                browser.driver.get("http://127.0.0.1:" + manager.adminPort + "/");
                browser.await(Duration.ofSeconds(30), "the page lists every instance HEALTHY", d -> ((Number) browser.script(
                        "return document.querySelectorAll(\"tr[data-state='HEALTHY']\").length")).intValue() == INSTANCES);
                // The page records, on its own clock (the same machine's), each state a row is drawn in.
                browser.script("window.seen = []; new MutationObserver(() => { for (const r of document.querySelectorAll('tr[data-port]'))"
                        + " { const last = window.seen.findLast(s => s.port === r.dataset.port);"
                        + " if (!last || last.state !== r.dataset.state || last.pid !== r.dataset.pid)"
                        + " window.seen.push({port: r.dataset.port, state: r.dataset.state, pid: r.dataset.pid, t: Date.now()}); } })"
                        + ".observe(document.getElementById('services'), {childList: true, subtree: true, attributes: true});");
                for (int k = 0; k < TRIALS; k++) {
                    int port = ports.get(k % INSTANCES);
                    // A stable run first (past reset-after), so this is a first crash.
                    long pid = Await.value(Duration.ofSeconds(60), "search:" + port + " HEALTHY for 2.5 s", () ->
                            manager.instance("search", port).filter(i -> i.path("state").asText().equals("HEALTHY")
                                    && i.path("uptime_ms").asLong() >= 2500).map(i -> i.path("pid").asLong()).orElse(null));
                    long killed = System.currentTimeMillis();
                    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                    String p = Integer.toString(port);
                    browser.await(Duration.ofSeconds(30), "search:" + port + " HEALTHY again on the page", d -> (Boolean) browser.script(
                            "return window.seen.some(s => s.port === arguments[0] && s.state === 'HEALTHY' && s.pid !== arguments[1] && s.pid !== '')",
                            p, Long.toString(pid)));
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> seen = (List<Map<String, Object>>) browser.script(
                            "const s = window.seen.filter(s => s.port === arguments[0] && s.t >= arguments[1]); window.seen = []; return s;",
                            p, killed);
                    long down = seen.stream().filter(s -> !"HEALTHY".equals(s.get("state")))
                            .mapToLong(s -> ((Number) s.get("t")).longValue()).min().orElseThrow();
                    long up = seen.stream().filter(s -> "HEALTHY".equals(s.get("state")) && !Long.toString(pid).equals(s.get("pid")))
                            .mapToLong(s -> ((Number) s.get("t")).longValue()).min().orElseThrow();
                    trials.add(new Trial(down - killed, managerHealthy(manager, port, killed) - killed, up - killed));
                }
            }
        }
        String section = report(trials);
        System.out.println(section);
        Path doc = Path.of("../docs/benchmarks.md");
        String text = Files.readString(doc);
        text = text.contains(BEGIN) && text.contains(END)
                ? text.substring(0, text.indexOf(BEGIN)) + section + text.substring(text.indexOf(END) + END.length())
                : text.stripTrailing() + "\n\n" + section + "\n";
        Files.writeString(doc, text);
    }

    /** When the manager reported port's HEALTHY after {@code since} (its event's time, epoch ms). */
    private static long managerHealthy(Manager manager, int port, long since) {
        return Await.value(Duration.ofSeconds(10), "the manager's HEALTHY event of " + port, () -> {
            JsonNode events = manager.json("/history").orElseThrow().path("events");
            for (JsonNode e : events) {
                if (e.path("type").asText().equals("transition") && e.path("port").asInt() == port
                        && e.path("to").asText().equals("HEALTHY")) {
                    long t = Instant.parse(e.path("time").asText()).toEpochMilli();
                    if (t >= since) {
                        return t;
                    }
                }
            }
            return null;
        });
    }

    private static String report(List<Trial> trials) {
        String when = Instant.now().toString().substring(0, 10);
        List<String> lines = new ArrayList<>(List.of(BEGIN, "## Dashboard: SIGKILL to HEALTHY again on the page", "",
                "`make bench-dashboard` (" + when + ", this machine: 2 cores): " + trials.size() + " SIGKILLs of instances of the C "
                        + "sample service (" + INSTANCES + " instances, the default probe and restart settings but `reset-after = 2s`, "
                        + "each kill an instance's first crash), watched by one dashboard page in Debian's headless Chromium. "
                        + "Milliseconds from the kill; the page's times are when its row was redrawn (a MutationObserver), the "
                        + "manager's the time of its HEALTHY event.", "",
                "| from SIGKILL to | p50 | p90 | max | goal |", "|---|---|---|---|---|"));
        lines.add(row("the page shows the instance down", trials.stream().map(Trial::pageDown).toList(), "within 1 s"));
        lines.add(row("the manager reports it HEALTHY", trials.stream().map(Trial::managerHealthy).toList(), ""));
        lines.add(row("the page shows it HEALTHY", trials.stream().map(Trial::pageHealthy).toList(), "within 2 s"));
        lines.add(row("(the page behind the manager)", trials.stream().map(t -> t.pageHealthy() - t.managerHealthy()).toList(), "within 1 s"));
        long worst = trials.stream().mapToLong(Trial::pageHealthy).max().orElseThrow();
        lines.add("");
        lines.add("Goal met: " + (worst <= 2000 ? "yes" : "no") + " (the slowest of " + trials.size() + ": " + worst + " ms).");
        lines.add(END);
        return String.join("\n", lines);
    }

    private static String row(String what, List<Long> ms, String goal) {
        List<Long> sorted = ms.stream().sorted().toList();
        String[] q = IntStream.of(50, 90).mapToObj(p -> Long.toString(sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100))))
                .toArray(String[]::new);
        return "| " + what + " | " + q[0] + " | " + q[1] + " | " + sorted.get(sorted.size() - 1) + " | " + goal + " |";
    }
}
