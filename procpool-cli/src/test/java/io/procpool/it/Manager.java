package io.procpool.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A procpool manager run the way a user runs it: {@code java -jar target/procpool.jar run
 * --config FILE}, in its own directory, talked to over its admin API. {@link #close} leaves
 * nothing behind: the manager and every process it recorded or that a test registered are killed
 * by pid, also when the test failed.
 */
final class Manager implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("procpool.jar", "target/procpool.jar")).toAbsolutePath();
    static final Path FAKE_SERVICE = Path.of("src/test/programs/fake_service.py").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    final Path dir;
    final int adminPort;
    private final List<Process> runs = new ArrayList<>();
    private final Set<Long> extraPids = new HashSet<>();

    Manager(Path dir) throws IOException {
        this.dir = dir;
        this.adminPort = freePort();
    }

    /**
     * A port nothing listens on right now, never handed out before in this JVM, and below the
     * kernel's ephemeral range: a port the kernel picked for {@code bind(0)} is one it may also
     * give to the next outgoing connection (a probe's, the test's), which then holds it while
     * the service meant for it fails to bind; and two calls may return the same port, which
     * gives a configuration with a duplicate port.
     */
    static synchronized int freePort() throws IOException {
        int low = EPHEMERAL_LOW - 12_000;
        int span = 12_000;
        for (int tries = 0; tries < span; tries++) {
            int port = low + Math.floorMod(nextPort++, span);
            if (!handedOut.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("0.0.0.0", port));
                return port;
            } catch (IOException busy) {
                // taken by something else on this machine: try the next one
            }
        }
        throw new IOException("no free port in " + low + ".." + (low + span - 1));
    }

    /** The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range). */
    private static final int EPHEMERAL_LOW = ephemeralLow();
    private static final Set<Integer> handedOut = new HashSet<>();
    /** Starts at a random offset, so two JVMs running tests at once rarely try the same ports. */
    private static int nextPort = new java.util.Random().nextInt(12_000);

    private static int ephemeralLow() {
        try {
            // One read with a full buffer: this file answers a read past its start with EOF, and
            // Files.readString (sized by a file size of 0) reads one byte first.
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Math.max(Integer.parseInt(range.split("\\s+")[0]), 13_024);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /** The pool file: {@code pool { admin.port = ..., state-dir = state, <body> }}. */
    Path writeConfig(String body) throws IOException {
        Path file = dir.resolve("pool.conf");
        Files.writeString(file, "pool {\n  admin.port = " + adminPort + "\n  state-dir = state\n" + body + "\n}\n");
        return file;
    }

    /** {@code python3 fake_service.py --port {port} <args>} as a command list in HOCON. */
    static String fake(String args) {
        StringBuilder sb = new StringBuilder("[\"python3\", \"" + FAKE_SERVICE + "\", \"--port\", \"{port}\"");
        for (String a : args.isBlank() ? new String[0] : args.trim().split("\\s+")) {
            sb.append(", \"").append(a).append('"');
        }
        return sb.append(']').toString();
    }

    /**
     * Starts {@code java [-D...] -jar procpool.jar <args>} in {@link #dir}, output to
     * {@code manager-N.log}; leading {@code -D} arguments go to the JVM.
     */
    Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        int i = 0;
        while (i < args.length && (args[i].startsWith("-D") || args[i].startsWith("-X"))) {
            cmd.add(args[i++]);
        }
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(List.of(args).subList(i, args.length));
        return launch(cmd);
    }

    /** {@link #start}, with {@code env} added to the manager's environment. */
    Process startWith(java.util.Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return launchIn(dir, env, cmd);
    }

    private Process launch(List<String> cmd) throws IOException {
        return launchIn(dir, java.util.Map.of(), cmd);
    }

    /**
     * Starts any command (a script of the distribution archive, say) in {@code cwd} with
     * {@code env} added to the environment, output to {@code manager-N.log}; {@link #close}
     * ends it and its descendants like a manager started by {@link #start}.
     */
    Process launchIn(Path cwd, java.util.Map<String, String> env, List<String> cmd) throws IOException {
        Path out = dir.resolve("manager-" + runs.size() + ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        Process p = builder.start();
        runs.add(p);
        return p;
    }

    /**
     * {@link #start}, with SIGHUP ignored from the start, as under {@code nohup} or a script that
     * ran {@code trap "" HUP}: the shell sets the disposition and execs the JVM, which inherits it.
     */
    Process startIgnoringHangup(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "trap '' HUP; exec \"$@\"", "sh", javaBin(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return launch(cmd);
    }

    /**
     * {@code run --config pool.conf} with {@code wrapper} in front of the JVM, such as
     * {@code unshare --pid --fork --mount-proc}, which must exec it (or fork it and wait).
     */
    Process runUnder(List<String> wrapper) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(javaBin(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(),
                "run", "--config", "pool.conf"));
        return launch(cmd);
    }

    /** Every process {@link #start} started, oldest first. */
    List<Process> runs() {
        return List.copyOf(runs);
    }

    Process run() throws IOException {
        return start("run", "--config", "pool.conf");
    }

    /** What the latest manager printed. */
    String output() throws IOException {
        return Files.readString(dir.resolve("manager-" + (runs.size() - 1) + ".log"));
    }

    /** GET /status, or empty while the admin API does not answer. */
    Optional<JsonNode> status() {
        return json("/status");
    }

    /** GET {@code path} of the admin API as JSON, or empty while it does not answer 200. */
    Optional<JsonNode> json(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The instance on {@code port} of {@code service} in the current status, if listed. */
    Optional<JsonNode> instance(String service, int port) {
        return status().flatMap(s -> {
            for (JsonNode i : s.path("services").path(service).path("instances")) {
                if (i.path("port").asInt() == port) {
                    return Optional.of(i);
                }
            }
            return Optional.empty();
        });
    }

    /** Waits until the instance on {@code port} is in {@code state} with a pid, and returns the pid. */
    long awaitInstance(String service, int port, String state, Duration deadline) {
        try {
            return Await.value(deadline, service + ":" + port + " " + state, () -> instance(service, port)
                    .filter(i -> i.path("state").asText().equals(state) && i.path("pid").isNumber())
                    .map(i -> i.path("pid").asLong()).orElse(null));
        } catch (AssertionError e) {
            AssertionError why = new AssertionError(e.getMessage() + " [" + diagnosis(service, port) + "]");
            why.setStackTrace(e.getStackTrace());
            throw why;
        }
    }

    /**
     * One line on what the latest manager is doing, for a failure message (CI shows those, not the
     * manager's log): its exit code or the instance's status, and the log's last lines.
     */
    String diagnosis(String service, int port) {
        if (runs.isEmpty()) {
            return "no manager started";
        }
        Process p = runs.get(runs.size() - 1);
        String head = p.isAlive()
                ? "manager up; instance: " + instance(service, port).map(JsonNode::toString).orElse("not listed")
                : "manager exited " + p.exitValue();
        String tail;
        try {
            List<String> lines = output().lines().filter(l -> !l.isBlank()).toList();
            tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 4), lines.size()));
        } catch (IOException e) {
            tail = "no log: " + e.getMessage();
        }
        return head + "; log: " + tail;
    }

    /** The pid answering HTTP on {@code port} (the fake service says its pid), or null. */
    static Long servingPid(int port) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body()).path("pid").asLong();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Registers a pid that {@link #close} must kill if it still lives. */
    void track(long pid) {
        extraPids.add(pid);
    }

    /** True while {@code pid} runs; a zombie (dead, waiting to be reaped by PID 1) does not count. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    static void signal(long pid, String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    }

    /** Waits for the manager to exit; returns its exit code. */
    static int awaitExit(Process p, Duration deadline) throws InterruptedException {
        if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the manager did not exit within " + deadline.toMillis() + " ms");
        }
        return p.exitValue();
    }

    /** The pids recorded in the state file right now. */
    List<Long> recordedPids() throws IOException {
        Path state = dir.resolve("state/procpool.state.json");
        List<Long> pids = new ArrayList<>();
        if (Files.exists(state)) {
            for (JsonNode c : JSON.readTree(state.toFile()).path("children")) {
                pids.add(c.path("pid").asLong());
            }
        }
        return pids;
    }

    @Override
    public void close() throws Exception {
        List<Long> pids = new ArrayList<>(recordedPids());
        for (Process p : runs) {
            if (p.isAlive()) {
                pids.addAll(p.descendants().map(ProcessHandle::pid).toList());
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        pids.addAll(extraPids);
        for (long pid : pids) {
            // Children lead their own process groups; whatever is left of a group goes with it.
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
