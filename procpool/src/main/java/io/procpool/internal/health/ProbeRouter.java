package io.procpool.internal.health;

import io.procpool.config.ExecProbe;
import io.procpool.config.HealthSettings;
import io.procpool.config.HttpProbe;
import io.procpool.config.NoProbe;
import io.procpool.config.ProbeSpec;
import io.procpool.config.TcpProbe;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.ProbeResult;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * procpool's {@link HealthProbe}: each kind of probe to its prober, registered here by the class
 * of its {@link ProbeSpec} (http and tcp to {@link NioHealthProbe}, exec to
 * {@link ExecHealthProbe}). A new kind of probe registers its prober here and its reading in
 * {@code config.ProbeKinds}.
 */
public final class ProbeRouter implements HealthProbe, AutoCloseable {

    private final NioHealthProbe nio;
    private final ExecHealthProbe exec;
    private final Map<Class<? extends ProbeSpec>, HealthProbe> byKind;

    public ProbeRouter() throws IOException {
        this.nio = new NioHealthProbe();
        this.exec = new ExecHealthProbe();
        this.byKind = Map.of(HttpProbe.class, nio, TcpProbe.class, nio, ExecProbe.class, exec);
    }

    @Override
    public CompletionStage<ProbeResult> probe(int port, HealthSettings settings) {
        HealthProbe prober = byKind.get(settings.probe().getClass());
        if (prober == null) {
            return CompletableFuture.completedFuture(settings.probe() instanceof NoProbe ? ProbeResult.ok(Duration.ZERO)
                    : ProbeResult.failed(Duration.ZERO, "no prober for " + settings.probe().kind() + " probes"));
        }
        return prober.probe(port, settings);
    }

    @Override
    public void close() {
        nio.close();
        exec.close();
    }
}
