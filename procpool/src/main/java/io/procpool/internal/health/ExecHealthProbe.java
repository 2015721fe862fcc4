package io.procpool.internal.health;

import io.procpool.config.ExecProbe;
import io.procpool.config.HealthSettings;
import io.procpool.internal.process.Executables;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.LaunchException;
import io.procpool.spi.ProbeResult;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The {@code exec} probe: runs the probe's command (never through a shell) in the service's
 * working dir with its environment plus {@code PORT}, and calls the instance healthy when the
 * command exits 0 within the probe's timeout, as a Kubernetes exec probe. A command still
 * running at the timeout is killed with what it started, and the probe failed; the last line it
 * wrote (up to 200 characters) is the reason of a failure.
 *
 * <p>Starts run on one thread of its own (a start blocks for about a millisecond); the exits are
 * the JDK's to learn. An exec probe is a process per probe: meant for checks that cannot be an HTTP
 * request or a connect (a database's own client, a file that must exist), at intervals of seconds.
 */
public final class ExecHealthProbe implements HealthProbe, AutoCloseable {

    private static final int REASON_CHARS = 200;

    private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> io.procpool.internal.Threads.daemon(r, "procpool-exec-probe"));

    @Override
    public CompletionStage<ProbeResult> probe(int port, HealthSettings settings) {
        ExecProbe exec = (ExecProbe) settings.probe();
        long start = System.nanoTime();
        try {
            return CompletableFuture.supplyAsync(() -> start(exec, port), starter)
                    .thenCompose(run -> finish(run, settings.timeout(), start))
                    .exceptionally(e -> ProbeResult.failed(since(start), reason(e)));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ProbeResult.failed(Duration.ZERO, "procpool is shutting down"));
        }
    }

    /** A started probe command and the file its output goes to. */
    private record Run(Process process, Path output) {
    }

    private static Run start(ExecProbe exec, int port) {
        List<String> command = exec.commandFor(port);
        Map<String, String> env = Executables.inheritedEnvironment();
        env.putAll(exec.envFor(port));
        Path program = Executables.resolve(command.get(0), exec.workingDir(), env);
        try {
            Path output = Files.createTempFile("procpool-probe-", ".out");
            List<String> argv = new java.util.ArrayList<>(command);
            argv.set(0, program.toString());
            ProcessBuilder pb = new ProcessBuilder(argv).directory(exec.workingDir().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            return new Run(pb.start(), output);
        } catch (IOException e) {
            throw new LaunchException("cannot start the probe " + command.get(0) + ": " + e.getMessage(), false, e);
        }
    }

    private static CompletionStage<ProbeResult> finish(Run run, Duration timeout, long start) {
        return run.process().onExit().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).handle((p, timedOut) -> {
            try {
                if (timedOut != null) {
                    run.process().descendants().forEach(ProcessHandle::destroyForcibly);
                    run.process().destroyForcibly();
                    return ProbeResult.failed(since(start), "still running after " + timeout.toMillis() + "ms (killed)");
                }
                int code = p.exitValue();
                return code == 0 ? ProbeResult.ok(since(start))
                        : ProbeResult.failed(since(start), "exited with " + code + lastLine(run.output()));
            } finally {
                try {
                    Files.deleteIfExists(run.output());
                } catch (IOException e) {
                    // a temp file left behind: the OS cleans its temp dir
                }
            }
        });
    }

    /** ": the last line it wrote", or nothing. */
    private static String lastLine(Path output) {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                return "";
            }
            String last = lines.get(lines.size() - 1).strip();
            return ": " + (last.length() > REASON_CHARS ? last.substring(0, REASON_CHARS) + "..." : last);
        } catch (IOException e) {
            return "";
        }
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static String reason(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    @Override
    public void close() {
        starter.shutdownNow();
    }
}
