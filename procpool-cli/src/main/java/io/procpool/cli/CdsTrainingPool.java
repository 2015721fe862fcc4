package io.procpool.cli;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The pool that {@code bin/procpool cds} trains the class-data archive on ({@code run
 * --cds-training}, see {@link io.procpool.internal.tuning.CdsTraining}), and the service it runs.
 *
 * <p>Everything it needs is in the jar and the JDK: the service is this class's {@link #main}, an
 * HTTP server of the JDK's own, started by the same {@code java} with this jar. So the archive
 * can be made wherever procpool can run (by the Maven build, {@code make install}, the systemd
 * unit's {@code ExecStartPre}), with no sample built and no port fixed in advance.
 */
final class CdsTrainingPool {

    private CdsTrainingPool() {
    }

    /** A pool of two instances of {@link #main}, on free loopback ports, with the admin API on another. */
    static Config config(Path stateDir) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path jar;
        try {
            jar = Path.of(CdsTrainingPool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where procpool's jar is", e);
        }
        String command = "'" + java + "' -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '" + jar + "' "
                + CdsTrainingPool.class.getName() + " {port}";
        return ConfigFactory.parseString("""
                procpool {
                  admin { host = "127.0.0.1", port = 0 }
                  services.train {
                    health-check { path = "/health", interval = 200ms }
                    restart { min-backoff = 0 }
                  }
                }
                """)
                .withValue("procpool.state-dir", ConfigValueFactory.fromAnyRef(stateDir.toString()))
                .withValue("procpool.services.train.command", ConfigValueFactory.fromAnyRef(command))
                .withValue("procpool.services.train.ports", ConfigValueFactory.fromIterable(List.of(freePort(), freePort())));
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The training service: answers every request with 200 on 127.0.0.1:PORT until it is stopped. */
    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])), 16);
        server.createContext("/", exchange -> {
            byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }
}
