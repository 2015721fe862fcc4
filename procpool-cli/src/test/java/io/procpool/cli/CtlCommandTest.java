package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * poolctl as a user meets it: each test runs the command line against a small fake admin API (the
 * JDK's HTTP server on 127.0.0.1) and looks at the exit code and exactly what was printed. No user
 * mistake may print a stack trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CtlCommandTest {

    private HttpServer server;
    private int port;
    /** Path (with query) -> status and body the fake API answers. */
    private final Map<String, String[]> answers = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** Method and path of each request that carried X-Procpool-Request: 1. */
    private final List<String> marked = new CopyOnWriteArrayList<>();

    private static final String STATUS = """
            {"services": {"search": {"state": "RUNNING", "desired": 1, "operation": null, "last_operation": null,
              "instances": [{"port": 8000, "pid": 41, "state": "HEALTHY", "restarts": 0, "uptime_ms": 5000,
                             "last_exit": null, "reason": "ok", "health": null}]}}}
            """;

    @BeforeAll
    void startFakeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterAll
    void stopFakeApi() {
        server.stop(0);
    }

    @AfterEach
    void forget() {
        answers.clear();
        requests.clear();
        marked.clear();
        CtlCommand.environment = System::getenv;
    }

    private void answer(HttpExchange x) throws IOException {
        String path = x.getRequestURI().toString();
        requests.add(x.getRequestMethod() + " " + path + (x.getRequestHeaders().containsKey("Authorization")
                ? " " + x.getRequestHeaders().getFirst("Authorization") : ""));
        if ("1".equals(x.getRequestHeaders().getFirst("X-Procpool-Request"))) {
            marked.add(x.getRequestMethod() + " " + path);
        }
        String[] a = answers.getOrDefault(path, new String[] {"404", "{\"error\": \"no such endpoint\", \"detail\": null}"});
        byte[] body = a[1].getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(Integer.parseInt(a[0]), body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    /** What one run printed, and how it ended. */
    private record Run(int exit, String out, String err) {
        void assertNoStackTrace() {
            assertFalse(err.contains("Exception") || err.contains("\tat "), "a stack trace: " + err);
        }
    }

    private Run poolctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        // The tree a call runs on (Main.execute), so every test here goes the way a call goes.
        CommandLine cmd = Main.ctlCommandLine(all);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        Run run = new Run(cmd.execute(all), out.toString(), err.toString());
        run.assertNoStackTrace();
        return run;
    }

    /** The commands under ctl in the tree a call with {@code args} runs on. */
    private static java.util.Set<String> treeFor(String... args) {
        java.util.Set<String> underProcpool = Main.ctlCommandLine(args).getSubcommands().get("ctl").getSubcommands().keySet();
        java.util.Set<String> asPoolctl = Main.poolctl("poolctl", java.util.Arrays.copyOfRange(args, 1, args.length))
                .getSubcommands().keySet();
        assertEquals(underProcpool, asPoolctl, "poolctl's tree for " + String.join(" ", args));
        return underProcpool;
    }

    @Test
    void aCallBuildsOnlyTheCommandItNamesAndTheWholeTreeWhenThatCouldReadDifferently() {
        assertEquals(java.util.Set.of("status"), treeFor("ctl", "--admin", ":9901", "status", "--json"));
        assertEquals(java.util.Set.of("logs"), treeFor("ctl", "logs", "search", "-f"));
        assertEquals(java.util.Set.of("status"), treeFor("ctl", "status", "--help"), "the command's own help lists no command");
        int all = CtlCommand.COMMANDS.size();
        assertEquals(all, treeFor("ctl", "logs", "status").size(), "two names: the second may be a service called status");
        assertEquals(all, treeFor("ctl", "stauts").size(), "no name: the whole tree suggests the right one");
        assertEquals(all, treeFor("ctl", "--help", "status").size(), "ctl's help lists every command");
        assertEquals(all, treeFor("ctl", "--token", "status").size(), "the name is an option's value: nothing parsed to a command");
        assertEquals(all, treeFor("ctl", "restart", "a", "b").size(), "a usage error, said by the whole tree");
    }

    @Test
    void anOperationsWarningsAreShownNotOnlyInItsJson() {
        answers.put("/reload", new String[] {"200", "{\"result\": \"ok\", \"message\": \"reloaded pool.conf: unchanged: web\", "
                + "\"warnings\": [\"procpool.admin changed: it takes effect when procpool is restarted\"]}"});
        Run run = poolctl("--admin", ":" + port, "reload");
        assertEquals(0, run.exit(), run.err());
        assertEquals("reloaded pool.conf: unchanged: web\n", run.out());
        assertEquals("poolctl: warning: procpool.admin changed: it takes effect when procpool is restarted\n", run.err());
    }

    @Test
    void everyCommandsVersionOptionPrintsProcpoolsVersion() {
        String version = io.procpool.internal.BuildInfo.current().describe() + "\n";
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"status", "--version"},
                new String[] {"logs", "-V"})) {
            Run run = poolctl(args);
            assertEquals(0, run.exit(), run.err());
            assertEquals(version, run.out(), String.join(" ", args));
        }
    }

    @Test
    void calledAsPoolctlItsUsageAndSuggestionsSayPoolctl() {
        for (String[] args : List.of(new String[] {"stauts"}, new String[] {"status", "--help"}, new String[0])) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            // As Main.execute runs a call with PROCPOOL_CTL_NAME set (bin/poolctl).
            CommandLine cmd = Main.poolctl("poolctl", args);
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            int exit = cmd.execute(args);
            String said = out + "" + err;
            assertFalse(said.contains("procpool ctl") || said.contains(" ctl "), said);
            if (args.length == 0) {
                assertTrue(said.startsWith("Usage: poolctl [-hV]"), said);
            } else if (args[0].equals("stauts")) {
                assertEquals(2, exit, said);
                assertTrue(said.contains("Did you mean: ") && said.contains(" poolctl status"), said);
            } else {
                assertEquals(0, exit, said);
                assertTrue(said.startsWith("Usage: poolctl status [-hV]"), said);
            }
        }
    }

    @Test
    void aMisspeltCommandIsAUsageErrorThatSuggestsTheRightOne() {
        Run run = poolctl("stauts");
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("Did you mean") && run.err().contains("ctl status"), run.err());
    }

    @Test
    void statusTakesTheAdminAddressAsHostPortWithOrWithoutAScheme() {
        answers.put("/status", new String[] {"200", STATUS});
        for (String admin : List.of("--admin=127.0.0.1:" + port, "--admin=http://127.0.0.1:" + port, "--admin=:" + port)) {
            Run run = poolctl("status", admin);
            assertEquals(0, run.exit(), admin + ": " + run.err());
            assertTrue(run.out().startsWith("SERVICE"), run.out());
            assertTrue(run.out().contains("search   RUNNING 1/1  8000  41   HEALTHY"), run.out());
        }
    }

    @Test
    void statusOfOneServiceShowsHowItsLastOperationEnded() {
        answers.put("/status/crasher", new String[] {"200", """
                {"state": "FAILED", "desired": 1, "operation": null, "min_processes": 1, "max_processes": 1,
                 "ports": [18200], "working_dir": "/srv", "health_check": "none",
                 "last_operation": {"time": "2026-12-05T10:00:00Z", "service": "crasher", "operation": "rolling restart",
                                    "result": "failed", "message": "no progress within 1m45s"},
                 "instances": []}
                """});
        Run run = poolctl("status", "crasher", "--admin", ":" + port);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("last operation: rolling restart, failed at 2026-12-05T10:00:00Z: no progress within 1m45s"),
                run.out());
    }

    @Test
    void aChangeCarriesTheHeaderThatNoBrowserFormCanSetWithOrWithoutAToken() {
        // The admin API refuses a browser's mutating request without it (CrossSiteGuard); poolctl
        // is no browser, but a reverse proxy in front of the admin port may add browser headers.
        answers.put("/services/search/restart", new String[] {"200", "{\"result\": \"done\", \"message\": \"replaced 1\"}"});
        assertEquals(0, poolctl("restart", "search", "--admin", ":" + port).exit());
        assertEquals(0, poolctl("restart", "search", "--admin", ":" + port, "--token=t0k").exit());
        assertEquals(List.of("POST /services/search/restart", "POST /services/search/restart"), marked);
    }

    @Test
    void theManagersOwnVariablesReachItWhenPoolctlsAreNotSet() {
        // A shell that ran PROCPOOL_ADMIN_PORT=... PROCPOOL_ADMIN_TOKEN=... procpool run & needs no more.
        answers.put("/services/search/restart", new String[] {"200", "{\"result\": \"done\", \"message\": \"replaced 1\"}"});
        Map<String, String> manager = Map.of("PROCPOOL_ADMIN_HOST", "0.0.0.0", "PROCPOOL_ADMIN_PORT", String.valueOf(port),
                "PROCPOOL_ADMIN_TOKEN", "s3cret");
        CtlCommand.environment = manager::get;
        assertEquals(0, poolctl("restart", "search").exit());
        Map<String, String> both = new java.util.HashMap<>(manager);
        both.put("PROCPOOL_TOKEN", "t0k");
        CtlCommand.environment = both::get;
        assertEquals(0, poolctl("restart", "search").exit());
        assertEquals(List.of("POST /services/search/restart Bearer s3cret", "POST /services/search/restart Bearer t0k"),
                requests, "a wildcard bind is reached on loopback; poolctl's own variable wins");
        Map<String, String> blankOwn = Map.of("PROCPOOL_ADMIN", " ", "PROCPOOL_TOKEN", "", "PROCPOOL_ADMIN_HOST", "[127.0.0.1]",
                "PROCPOOL_ADMIN_PORT", String.valueOf(port), "PROCPOOL_ADMIN_TOKEN", "s3cret");
        CtlCommand.environment = blankOwn::get;
        requests.clear();
        assertEquals(0, poolctl("restart", "search").exit(), "a blank variable is an unset one");
        assertEquals(List.of("POST /services/search/restart Bearer s3cret"), requests);
        CtlCommand.environment = name -> name.equals("PROCPOOL_ADMIN_PORT") ? "ninety" : null;
        Run bad = poolctl("status");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("poolctl: $PROCPOOL_ADMIN_HOST and $PROCPOOL_ADMIN_PORT '127.0.0.1:ninety'"), bad.err());
    }

    @Test
    void aBadAddressIsAUsageErrorInOneLine() {
        Run run = poolctl("status", "--admin=127.0.0.1:abc");
        assertEquals(2, run.exit());
        assertEquals("poolctl: --admin '127.0.0.1:abc': the port must be a number from 1 to 65535, got 'abc'; "
                + "use host:port, :port or http://host:port\n", run.err());
        assertTrue(requests.isEmpty());
    }

    @Test
    void theAddressComesFromProcpoolAdminWhenNoOptionGivesIt() {
        answers.put("/status", new String[] {"200", STATUS});
        CtlCommand.environment = name -> name.equals("PROCPOOL_ADMIN") ? "127.0.0.1:" + port : null;
        assertEquals(0, poolctl("status").exit());
        CtlCommand.environment = name -> name.equals("PROCPOOL_ADMIN") ? "nowhere:" : null;
        Run bad = poolctl("status");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("poolctl: $PROCPOOL_ADMIN 'nowhere:'"), bad.err());
        CtlCommand.environment = name -> name.equals("PROCPOOL_ADMIN") ? "nowhere:1" : null;
        answers.put("/status", new String[] {"200", STATUS});
        assertEquals(0, poolctl("status", "--admin", ":" + port).exit(), "--admin wins over the environment");
    }

    @Test
    void aManagerThatDoesNotAnswerIsExit1WithWhereItLooked() throws IOException {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run run = poolctl("status", "--admin", "127.0.0.1:" + closed);
        assertEquals(1, run.exit());
        assertEquals("poolctl: no procpool manager answers at http://127.0.0.1:" + closed + "/ (is it running? see --admin)\n",
                run.err());
    }

    @Test
    void aRefusedOperationIsExit1WithTheApisReason() {
        answers.put("/services/search/restart", new String[] {"409", "{\"error\": \"search: rolling restart: 0 of 2 "
                + "replaced is under way\", \"detail\": null}"});
        CtlCommand.environment = name -> name.equals("PROCPOOL_TOKEN") ? "t0k" : null;
        Run run = poolctl("restart", "search", "--admin", ":" + port);
        assertEquals(1, run.exit());
        assertEquals("poolctl: search: rolling restart: 0 of 2 replaced is under way\n", run.err());
        assertEquals(List.of("POST /services/search/restart Bearer t0k"), requests);
    }

    @Test
    void aValueTheManagerRejectsIsAUsageErrorExit2() {
        answers.put("/services/search/scale?instances=-1", new String[] {"400", "{\"error\": \"instances must be a whole number\", "
                + "\"detail\": \"got '-1'\"}"});
        Run run = poolctl("--admin", ":" + port, "scale", "search", "-1");
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().startsWith("poolctl: instances must be a whole number"), run.err());
        answers.put("/reload", new String[] {"400", "{\"error\": \"invalid configuration in pool.conf; nothing changed\", "
                + "\"detail\": [\"pool.conf:3: service 'web', key 'stop.timeout': must be a duration\"]}"});
        assertEquals(2, poolctl("--admin", ":" + port, "reload").exit(), "an invalid file, as procpool check says it");
    }

    @Test
    void logsWithoutAPortTailsEveryInstanceEachLinePrefixedWithItsPort() {
        answers.put("/status/search", new String[] {"200", "{\"ports\": [8000, 8001, 10000], \"instances\": []}"});
        answers.put("/services/search/instances/8000/log?lines=2",
                new String[] {"200", "{\"lines\": [\"listening on 8000\", \"GET /\"]}"});
        answers.put("/services/search/instances/8001/log?lines=2", new String[] {"200", "{\"lines\": [\"listening on 8001\"]}"});
        answers.put("/services/search/instances/10000/log?lines=2", new String[] {"200", "{\"lines\": []}"});
        Run run = poolctl("logs", "search", "-n", "2", "--admin", ":" + port);
        assertEquals(0, run.exit(), run.err());
        assertEquals("""
                8000  | listening on 8000
                8000  | GET /
                8001  | listening on 8001
                """, run.out());
    }

    @Test
    void logsWithAPortPrintsThatInstancesLinesAsTheyAre() {
        answers.put("/services/search/instances/8001/log?lines=100", new String[] {"200", "{\"lines\": [\"a\", \"b\"]}"});
        Run run = poolctl("logs", "search", "8001", "--admin", ":" + port);
        assertEquals(0, run.exit(), run.err());
        assertEquals("a\nb\n", run.out());
    }

    @Test
    void usageMistakesAreExit2WithTheUsageAndNoStackTrace() {
        Run unknown = poolctl("status", "--bogus");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("Unknown option: '--bogus'"), unknown.err());
        Run notANumber = poolctl("scale", "search", "two");
        assertEquals(2, notANumber.exit());
        assertTrue(notANumber.err().contains("Invalid value for positional parameter at index 1 (N): 'two' is not an int"),
                notANumber.err());
        Run missing = poolctl("restart");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().startsWith("Missing required parameter: 'SERVICE'"), missing.err());
    }

    @Test
    void globalOptionsAreTakenBeforeTheCommandAsWellAsAfterIt() {
        CommandLine before = Main.commandLine();
        CommandLine.ParseResult b = before.parseArgs("ctl", "--admin", ":9901", "--token=t0k", "--json", "--config", "a.conf",
                "restart", "search");
        CtlCommand.Connection c1 = ((CtlCommand) b.subcommand().commandSpec().userObject()).connection;
        CommandLine after = Main.commandLine();
        CommandLine.ParseResult a = after.parseArgs("ctl", "restart", "search", "--admin", ":9901", "--token=t0k", "--json",
                "--config", "a.conf");
        CtlCommand.Connection c2 = ((CtlCommand) a.subcommand().commandSpec().userObject()).connection;
        for (CtlCommand.Connection c : List.of(c1, c2)) {
            assertEquals(":9901", c.admin);
            assertEquals("t0k", c.token);
            assertTrue(c.json);
            assertEquals(java.nio.file.Path.of("a.conf"), c.config);
        }
        CommandLine mixed = Main.commandLine();
        CommandLine.ParseResult m = mixed.parseArgs("ctl", "--admin", ":9901", "logs", "search", "--json", "-f");
        CtlCommand.Connection c3 = ((CtlCommand) m.subcommand().commandSpec().userObject()).connection;
        assertEquals(":9901", c3.admin);
        assertTrue(c3.json);
    }

    @Test
    void theAdminAddressBeforeTheCommandIsTheOneUsed() {
        answers.put("/status", new String[] {"200", STATUS});
        answers.put("/services/search/restart", new String[] {"200", "{\"result\": \"ok\", \"message\": \"restarted\"}"});
        Run status = poolctl("--admin", ":" + port, "status");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("search   RUNNING 1/1  8000  41   HEALTHY"), status.out());
        Run restart = poolctl("--admin=:" + port, "--token", "t0k", "restart", "search");
        assertEquals(0, restart.exit(), restart.err());
        assertEquals("restarted\n", restart.out());
        assertEquals(List.of("GET /status", "POST /services/search/restart Bearer t0k"), requests);
        Run bad = poolctl("--admin=127.0.0.1:abc", "status");
        assertEquals(2, bad.exit(), "a bad global option is a usage error like any other");
        assertTrue(bad.err().startsWith("poolctl: --admin '127.0.0.1:abc'"), bad.err());
    }

    @Test
    void aConfigFileThatIsNotThereIsAConfigurationError() {
        Run run = poolctl("status", "--config", "no/such/pool.conf");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("procpool: invalid configuration (1 error); nothing was started:\n  no/such/pool.conf"),
                run.err());
    }
}
