package io.procpool.testkit;

import io.procpool.config.HealthSettings;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.ProbeResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A {@link HealthProbe} whose answers tests script. The process running on the port answers
 * first, if it has a probe script of its own ({@link SimulatedProcess#probes}); otherwise the
 * port's script answers the n-th probe of that port (counting from 1), or nothing at all when it
 * returns empty; unscripted ports answer healthy in 1 ms.
 */
public final class SimulatedHealthProbe implements HealthProbe {

    private final Map<Integer, IntFunction<Optional<ProbeResult>>> scripts = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final SimulatedLauncher launcher;

    /** A probe that knows only port scripts. */
    public SimulatedHealthProbe() {
        this(null);
    }

    /** A probe that asks the process {@code launcher} runs on the port first. */
    public SimulatedHealthProbe(SimulatedLauncher launcher) {
        this.launcher = launcher;
    }

    /** A healthy answer in 1 ms. */
    public static ProbeResult ok() {
        return ProbeResult.ok(Duration.ofMillis(1));
    }

    /** A failed answer in 1 ms, for {@code error}. */
    public static ProbeResult fail(String error) {
        return ProbeResult.failed(Duration.ofMillis(1), error);
    }

    /** The n-th probe on {@code port} (from 1) gets {@code script.apply(n)}; empty means it never answers. */
    public SimulatedHealthProbe script(int port, IntFunction<Optional<ProbeResult>> script) {
        scripts.put(port, script);
        return this;
    }

    /** Every probe on {@code port} answers {@code result} from now on. */
    public SimulatedHealthProbe always(int port, ProbeResult result) {
        return script(port, n -> Optional.of(result));
    }

    /** Probes on {@code port} never answer from now on. */
    public SimulatedHealthProbe hang(int port) {
        return script(port, n -> Optional.empty());
    }

    /** How many probes {@code port} has had. */
    public int probes(int port) {
        return counts.getOrDefault(port, new AtomicInteger()).get();
    }

    @Override
    public CompletionStage<ProbeResult> probe(int port, HealthSettings settings) {
        int n = counts.computeIfAbsent(port, p -> new AtomicInteger()).incrementAndGet();
        Optional<ProbeResult> answer = null;
        if (launcher != null) {
            Optional<SimulatedProcess> p = launcher.runningOn(port);
            if (p.isPresent()) {
                answer = p.get().probe(Duration.ofNanos(launcher.now() - p.get().launchedAtNanos()));
            }
        }
        if (answer == null) {
            answer = scripts.getOrDefault(port, x -> Optional.of(ok())).apply(n);
        }
        return answer.<CompletionStage<ProbeResult>>map(CompletableFuture::completedFuture).orElseGet(CompletableFuture::new);
    }
}
