package io.procpool.config;

/**
 * {@code type = http}: a {@code GET} of {@code path} on 127.0.0.1:PORT, healthy when the status is
 * one of {@code expectStatus}.
 *
 * @param path the path and query, such as {@code /?q=health}
 * @param expectStatus the statuses that count as healthy
 * @param keepAlive keep the probe's connection open between probes while the instance allows it
 */
public record HttpProbe(String path, StatusRange expectStatus, boolean keepAlive) implements ProbeSpec {

    @Override
    public String kind() {
        return "http";
    }

    @Override
    public String describe(int port) {
        return "http://127.0.0.1:" + port + path;
    }

    @Override
    public String summary() {
        return "http " + path;
    }
}
