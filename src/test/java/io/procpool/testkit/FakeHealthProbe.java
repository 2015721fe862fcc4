package io.procpool.testkit;

import io.procpool.config.HealthSettings;
import io.procpool.health.HealthProbe;
import io.procpool.health.ProbeResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A {@link HealthProbe} whose answers a test scripts per port: the n-th probe (counting from 1)
 * gets what the script returns, or no answer at all when the script returns empty. Unscripted
 * ports answer healthy in 1 ms.
 */
public final class FakeHealthProbe implements HealthProbe {

    private final Map<Integer, IntFunction<Optional<ProbeResult>>> scripts = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();

    public static ProbeResult ok() {
        return ProbeResult.ok(Duration.ofMillis(1));
    }

    public static ProbeResult fail(String error) {
        return ProbeResult.failed(Duration.ofMillis(1), error);
    }

    /** The n-th probe on {@code port} (from 1) gets {@code script.apply(n)}; empty means it never answers. */
    public FakeHealthProbe script(int port, IntFunction<Optional<ProbeResult>> script) {
        scripts.put(port, script);
        return this;
    }

    /** Every probe on {@code port} answers {@code result} from now on. */
    public FakeHealthProbe always(int port, ProbeResult result) {
        return script(port, n -> Optional.of(result));
    }

    /** Probes on {@code port} never answer from now on. */
    public FakeHealthProbe hang(int port) {
        return script(port, n -> Optional.empty());
    }

    /** How many probes {@code port} has had. */
    public int probes(int port) {
        return counts.getOrDefault(port, new AtomicInteger()).get();
    }

    @Override
    public CompletionStage<ProbeResult> probe(int port, HealthSettings settings) {
        int n = counts.computeIfAbsent(port, p -> new AtomicInteger()).incrementAndGet();
        Optional<ProbeResult> answer = scripts.getOrDefault(port, x -> Optional.of(ok())).apply(n);
        return answer.<CompletionStage<ProbeResult>>map(CompletableFuture::completedFuture).orElseGet(CompletableFuture::new);
    }
}
