import io.procpool.config.LogSettings;
import io.procpool.internal.linux.LinuxPlatform;
import io.procpool.internal.process.PlatformLauncher;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a start costs its caller's thread (an instance actor's): the whole launch, and each of the
 * bookkeeping steps it does there besides the spawn (a stat of the log dir, the marker's append,
 * the read of /proc/PID/stat, the journal's append), timed one by one with the same calls.
 * Run: java -cp target/procpool.jar bench/LaunchCost.java [starts]   (docs/architecture.md)
 */
public class LaunchCost {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        Path dir = Files.createTempDirectory("launch-cost");
        LaunchSpec spec = new LaunchSpec("cost", 1, List.of("true"), dir, Map.of(), dir.resolve("logs/cost-1.log"),
                new LogSettings(1L << 30, 1));
        long[] launch = new long[n];
        try (PlatformLauncher launcher = PlatformLauncher.open(dir.resolve("state"), LinuxPlatform.open(false),
                Duration.ofSeconds(1), Duration.ofSeconds(1))) {
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                ChildProcess child = launcher.launch(spec).toCompletableFuture().getNow(null);
                launch[i] = System.nanoTime() - t0;
                child.onExit().toCompletableFuture().join();
            }
        }
        Path logDir = dir.resolve("logs");
        Path log = logDir.resolve("cost-1.log");
        Path journal = dir.resolve("journal");
        long[] stat = time(n, () -> Files.isDirectory(logDir));
        long[] marker = time(n, () -> {
            try (FileOutputStream out = new FileOutputStream(log.toFile(), true)) {
                out.write("----- procpool 2026-12-05T10:00:00Z: starting cost:1: true -----\n".getBytes());
            }
        });
        long self = ProcessHandle.current().pid();
        long[] proc = time(n, () -> Files.readString(Path.of("/proc/" + self + "/stat")));
        long[] append = time(n, () -> Files.writeString(journal, "{\"service\":\"cost\",\"port\":1,\"pid\":12345}\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        System.out.printf("launch on the caller's thread: p50 %.1f us, p90 %.1f us (%d starts of `true`)%n",
                p(launch, 50), p(launch, 90), n);
        System.out.printf("  of which, timed alone: stat of the log dir %.1f us, marker append %.1f us, "
                + "/proc/PID/stat read %.1f us, journal append %.1f us (p50)%n", p(stat, 50), p(marker, 50), p(proc, 50), p(append, 50));
    }

    interface Step {
        void run() throws Exception;
    }

    private static long[] time(int n, Step step) throws Exception {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            step.run();
            out[i] = System.nanoTime() - t0;
        }
        return out;
    }

    private static double p(long[] nanos, int pct) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * pct / 100)] / 1000.0;
    }
}
