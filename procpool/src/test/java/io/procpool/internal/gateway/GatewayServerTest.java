package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.Pool;
import io.procpool.api.PoolStatus;
import io.procpool.api.ScriptedPool;
import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import io.procpool.internal.metrics.PoolMetrics;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the gateway answers by itself, over a real socket on 127.0.0.1 port 0, in front of a pool
 * with no instance ready: bad input answered (400, 431, 413), no route 404 with the routes, no
 * instance in time 503 with Retry-After, and a stopped service 503 without. Raw bytes, so that malformed requests can be sent.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayServerTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().build();

    private int port;
    private Traffic traffic;

    @BeforeAll
    void bind() throws Exception {
        PoolSettings settings = TestConfigs.pool("""
                gateway { enabled = true, port = 0, queue-timeout = 0s }
                services.web { command = "./w {port}", ports = [18000], route.max-body = 1KiB }
                """);
        Pool pool = new ScriptedPool(settings, () -> new PoolStatus(List.of(), 0)).pool();
        traffic = GatewayServer.traffic(settings);
        ServerBinding binding = GatewayServer.bind(testKit.system(), settings, pool, traffic, new PoolMetrics())
                .toCompletableFuture().get();
        port = binding.localAddress().getPort();
    }

    /** Sends {@code raw} on a new connection and returns everything answered until the gateway closes it or 5 s pass. */
    private String exchange(String raw) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                    if (answer.indexOf("\r\n\r\n") > 0 && complete(answer)) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                // what came is the answer
            }
            return answer.toString();
        }
    }

    /** The answer's body is all there (by its Content-Length). */
    private static boolean complete(StringBuilder answer) {
        int head = answer.indexOf("\r\n\r\n");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(answer.substring(0, head));
        return m.find() && answer.length() - head - 4 >= Integer.parseInt(m.group(1));
    }

    @Test
    void aMalformedRequestIs400() throws Exception {
        String answer = exchange("GET /web/ HTTP/1.1\r\nHost: a\r\nthis line is no header\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        String target = exchange("GET /web/%zz HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(target.startsWith("HTTP/1.1 400"), target);
    }

    @Test
    void anOversizedHeadIs431() throws Exception {
        String big = "x".repeat(20_000);
        String answer = exchange("GET /web/ HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
    }

    @Test
    void aBodyOverMaxBodyIs413() throws Exception {
        String answer = exchange("POST /web/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + "y".repeat(5000));
        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(answer.contains("route.max-body of web"), answer);
    }

    @Test
    void noRouteIs404WithTheRoutes() throws Exception {
        String answer = exchange("GET /elsewhere HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 404"), answer);
        assertTrue(answer.contains("\"path-prefix\":\"/web\""), answer);
    }

    @Test
    void noReadyInstanceIs503WithRetryAfter() throws Exception {
        String answer = exchange("GET /web/ HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
        assertTrue(answer.contains("Retry-After: 1"), answer);
        assertTrue(answer.contains("gateway.queue-timeout"), answer);
        assertTrue(!answer.toLowerCase(java.util.Locale.ROOT).contains("server: "), "no Server header of the gateway's: " + answer);
    }

    @Test
    void aStoppedServiceIs503SayingSoWithoutRetryAfter() throws Exception {
        traffic.stopped("web", true);
        try {
            String answer = exchange("GET /web/ HTTP/1.1\r\nHost: a\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
            assertTrue(answer.contains("service 'web' is stopped; start it with `poolctl start web`"), answer);
            assertTrue(!answer.contains("Retry-After"), "nothing starts it again by itself: " + answer);
        } finally {
            traffic.stopped("web", false);
        }
    }
}
