package io.procpool.config;

/** {@code type = none}: nothing is probed; a live process is ready. */
public record NoProbe() implements ProbeSpec {

    @Override
    public String kind() {
        return "none";
    }

    @Override
    public boolean probes() {
        return false;
    }

    @Override
    public String describe(int port) {
        return "nothing";
    }

    @Override
    public String summary() {
        return "none";
    }
}
