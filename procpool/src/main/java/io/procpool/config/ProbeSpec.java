package io.procpool.config;

/**
 * What a service's health probe checks: one implementation per kind of probe ({@code http},
 * {@code tcp}, {@code exec}, {@code none}), each read by its {@link ProbeKinds.Kind} and run by
 * the prober registered for it. Immutable.
 */
public interface ProbeSpec {

    /** The kind, as {@code health-check.type} names it. */
    String kind();

    /** False for {@code none}: a live process is ready, and nothing is probed. */
    default boolean probes() {
        return true;
    }

    /** What a probe of the instance on {@code port} checks, for logs: {@code http://127.0.0.1:8000/health}. */
    String describe(int port);

    /** The probe in a few words, for the status and {@code procpool check}: {@code http /health}. */
    String summary();
}
