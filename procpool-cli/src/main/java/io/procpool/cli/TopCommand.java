package io.procpool.cli;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poolctl top}: the pool as a table that refreshes in place (pm2 monit, top), until q or
 * Ctrl-C. When stdout is not a terminal it prints one table and exits, for scripts and tests.
 *
 * <p>Keys are read in cbreak mode, set with {@code stty -icanon -echo} on {@code /dev/tty} and
 * restored with the settings {@code stty -g} saved before: the simplest way from the JVM to take a
 * key without Enter. Not raw mode: cbreak keeps the terminal's signal keys, so Ctrl-C stays SIGINT,
 * delivered by the kernel even if poolctl hangs, and it keeps output processing (a newline is a
 * newline). A shutdown hook restores the terminal on Ctrl-C. Where there is no {@code /dev/tty} or
 * no {@code stty}, only Ctrl-C quits. The terminal is behind {@link Screen} so tests can drive it.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"Every instance in a table refreshed in place, until q or Ctrl-C.",
            "State, pid, CPU%%, RSS, restarts and uptime, like pm2 monit. When stdout is not a terminal: one table, then exit."})
final class TopCommand extends CtlCommand.Subcommand {

    /** The terminal; tests replace it. */
    static Screen screen = new Tty();

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Refresh every DURATION: 1s, 500ms, 2.5s (default ${DEFAULT-VALUE}; at least 100ms).")
    String interval;

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s)?");
    private static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    /** The header's time, seconds always shown (LocalTime's own text drops them at :00). */
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** The terminal top draws on and reads keys from. */
    interface Screen {
        /** True when standard output is a terminal. */
        boolean isTerminal();

        /** Puts the terminal in cbreak mode; what it returns restores it (idempotent). */
        Runnable cbreak();

        /** The keys typed, byte by byte (blocking; -1 when there are none to come). */
        InputStream keys() throws IOException;
    }

    @Override
    int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
        Duration every = parseInterval(interval);
        if (every == null) {
            err().println("poolctl: --interval '" + interval + "' is not a duration of at least 100ms; use 1s, 500ms or 2.5s");
            return ExitCodes.CONFIG;
        }
        if (json()) {
            return report(client.get("status"), out); // one answer: what a script would poll
        }
        Map<String, TopTable.Sample> samples = new HashMap<>();
        if (!screen.isTerminal()) {
            AdminClient.Answer a = client.get("status");
            if (!a.ok()) {
                return report(a, out);
            }
            out.print(TopTable.render(a.json().path("services"), usage(client), samples, System.nanoTime()));
            return ExitCodes.OK;
        }
        return interactive(client, out, every, samples);
    }

    private int interactive(AdminClient client, PrintWriter out, Duration every, Map<String, TopTable.Sample> samples)
            throws AdminClient.Unreachable, IOException {
        Runnable restoreMode = screen.cbreak();
        AtomicBoolean restored = new AtomicBoolean();
        Runnable restore = () -> {
            if (restored.compareAndSet(false, true)) {
                out.print("\033[?25h\033[?1049l"); // cursor back, main screen back
                out.flush();
                restoreMode.run();
            }
        };
        Thread hook = new Thread(restore, "poolctl-top-restore");
        Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C
        BlockingQueue<Integer> keys = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> readKeys(keys), "poolctl-top-keys");
        reader.setDaemon(true);
        reader.start();
        try {
            out.print("\033[?1049h\033[?25l"); // the alternate screen, as top uses; no cursor
            while (true) {
                AdminClient.Answer a = client.get("status");
                if (!a.ok()) {
                    restore.run();
                    return report(a, out);
                }
                String table = TopTable.render(a.json().path("services"), usage(client), samples, System.nanoTime());
                draw(out, header(client.base(), LocalTime.now(), every) + "\n\n" + table);
                Integer key = keys.poll(every.toMillis(), TimeUnit.MILLISECONDS);
                if (key != null && (key == 'q' || key == 'Q' || key == 3)) {
                    return ExitCodes.OK;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.OK;
        } finally {
            restore.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
    }

    /** The line above the table: which manager, the time of this frame, the interval, how to quit. */
    static String header(java.net.URI base, LocalTime now, Duration every) {
        return "procpool at " + base + "   " + CLOCK.format(now) + "   every " + io.procpool.config.Durations.format(every)
                + "   q quits";
    }

    /** Redraws in place: home, each line cleared to its end, the rest of the screen cleared (no flicker). */
    private static void draw(PrintWriter out, String frame) {
        StringBuilder b = new StringBuilder("\033[H");
        for (String line : frame.split("\n", -1)) {
            b.append(line).append("\033[K\n");
        }
        b.setLength(b.length() - 1);
        out.print(b.append("\033[J"));
        out.flush();
    }

    private static void readKeys(BlockingQueue<Integer> keys) {
        try (InputStream in = screen.keys()) {
            for (int k = in.read(); k >= 0; k = in.read()) {
                keys.add(k);
            }
        } catch (IOException e) {
            // no keys to read: only Ctrl-C quits
        }
    }

    /** The instances' CPU and memory from /metrics; nothing (columns shown as -) when it cannot be read. */
    private static Map<String, TopTable.Usage> usage(AdminClient client) throws AdminClient.Unreachable {
        AdminClient.Answer m = client.get("metrics");
        return m.ok() ? TopTable.usage(m.body()) : Map.of();
    }

    /** {@code 1s}, {@code 500ms}, {@code 2.5s}, {@code 2} (seconds); null for anything else or under 100ms. */
    static Duration parseInterval(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        double n = Double.parseDouble(m.group(1));
        Duration d = Duration.ofNanos((long) (n * ("ms".equals(m.group(2)) ? 1e6 : 1e9)));
        return d.compareTo(MIN_INTERVAL) < 0 ? null : d;
    }

    /** The real terminal: stdout's file descriptor, {@code /dev/tty} and {@code stty}. */
    static final class Tty implements Screen {
        private static final File TTY = new File("/dev/tty");

        @Override
        public boolean isTerminal() {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException e) {
                return System.console() != null;
            }
        }

        @Override
        public Runnable cbreak() {
            String saved = stty("-g");
            if (saved == null || stty("-icanon", "-echo", "min", "1", "time", "0") == null) {
                return () -> { };
            }
            AtomicBoolean done = new AtomicBoolean();
            return () -> {
                if (done.compareAndSet(false, true)) {
                    stty(saved.trim());
                }
            };
        }

        @Override
        public InputStream keys() throws IOException {
            return new FileInputStream(TTY);
        }

        /** Runs stty on /dev/tty; its output, or null when it failed. */
        private static String stty(String... args) {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "stty";
            System.arraycopy(args, 0, cmd, 1, args.length);
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? output : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
