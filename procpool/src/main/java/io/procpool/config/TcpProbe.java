package io.procpool.config;

/** {@code type = tcp}: a connect to 127.0.0.1:PORT, healthy when it is accepted. */
public record TcpProbe() implements ProbeSpec {

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    public String describe(int port) {
        return "tcp 127.0.0.1:" + port;
    }

    @Override
    public String summary() {
        return "tcp";
    }
}
