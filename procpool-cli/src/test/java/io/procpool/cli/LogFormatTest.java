package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** procpool's own log: chosen before any logger exists; JSON lines for shippers, dated text for people. */
class LogFormatTest {

    private static final Map<String, String> NO_ENV = Map.of();

    @Test
    void theOptionOfRunWinsOverThePropertyAndTheEnvironment() throws Exception {
        assertEquals(Optional.of(LogFormat.JSON), LogFormat.chosen(List.of("run", "--log-format", "json"), p -> "text",
                Map.of("PROCPOOL_LOG_FORMAT", "text")));
        assertEquals(Optional.of(LogFormat.JSON), LogFormat.chosen(List.of("run", "-c", "x.conf", "--log-format=JSON"), p -> null, NO_ENV));
        assertEquals(Optional.of(LogFormat.JSON), LogFormat.chosen(List.of("check"), p -> "json", Map.of("PROCPOOL_LOG_FORMAT", "text")));
        assertEquals(Optional.of(LogFormat.JSON), LogFormat.chosen(List.of("run"), p -> null, Map.of("PROCPOOL_LOG_FORMAT", "json")));
        assertEquals(Optional.empty(), LogFormat.chosen(List.of("run"), p -> null, NO_ENV));
    }

    @Test
    void aWrongValueInTheEnvironmentNamesTheVariable() {
        LogFormat.Invalid e = assertThrows(LogFormat.Invalid.class,
                () -> LogFormat.chosen(List.of("run"), p -> null, Map.of("PROCPOOL_LOG_FORMAT", "yaml")));
        assertEquals("environment variable PROCPOOL_LOG_FORMAT: must be text or json, got \"yaml\"", e.getMessage());
    }

    @Test
    void jsonIsOneObjectPerLineWithWhatAShipperNeeds() throws Exception {
        String written = logThrough(LogFormat.JSON.resource, log -> {
            MDC.put("service", "search");
            try {
                log.atInfo().addKeyValue("port", 8000).log("search:8000 RUNNING -> BACKOFF pid={}", 1234);
                log.error("probe failed", new IllegalStateException("connection refused"));
            } finally {
                MDC.remove("service");
            }
        });
        List<String> lines = written.lines().toList();
        assertEquals(2, lines.size(), written);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0));
        assertTrue(first.get("timestamp").asLong() > 0, lines.get(0));
        assertEquals("INFO", first.get("level").asText());
        assertEquals("io.procpool.test", first.get("loggerName").asText());
        assertEquals(Thread.currentThread().getName(), first.get("threadName").asText());
        assertEquals("search:8000 RUNNING -> BACKOFF pid=1234", first.get("formattedMessage").asText());
        assertEquals("search", first.get("mdc").get("service").asText());
        assertEquals("8000", first.get("kvpList").get(0).get("port").asText(), lines.get(0));
        JsonNode second = json.readTree(lines.get(1));
        assertEquals("ERROR", second.get("level").asText());
        assertEquals("java.lang.IllegalStateException", second.get("throwable").get("className").asText());
        assertEquals("connection refused", second.get("throwable").get("message").asText());
    }

    @Test
    void theDefaultTextFormatHasTheDate() throws Exception {
        String written = logThrough(TextLogging::apply, log -> log.info("hello"));
        assertTrue(written.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}([+-]\\d{2}:\\d{2}|Z) INFO  test +hello\\n"), written);
    }

    /** The default set up in code and conf/logback.example.xml, the same in XML for people to copy, agree. */
    @Test
    void theExampleFileWritesWhatTheDefaultWrites() throws Exception {
        java.net.URL example = java.nio.file.Path.of("..", "conf", "logback.example.xml").toUri().toURL();
        java.util.function.Consumer<Logger> body = log -> {
            log.info("search:8000 STARTING -> HEALTHY pid={}", 4242);
            log.debug("not shown");
        };
        java.util.function.Consumer<Logger> pekko = log -> log.info("pekko's info is not shown");
        String inCode = logThrough(TextLogging::apply, body) + logThrough(TextLogging::apply, "org.apache.pekko.x", pekko);
        String inXml = logThrough(xml(example), body) + logThrough(xml(example), "org.apache.pekko.x", pekko);
        assertEquals(withoutTime(inXml), withoutTime(inCode));
        assertTrue(inCode.contains(" INFO  test           search:8000 STARTING -> HEALTHY pid=4242\n"), inCode);
        assertEquals(1, inCode.lines().count(), inCode);
    }

    private static String withoutTime(String lines) {
        return lines.replaceAll("(?m)^\\S+ ", "TIME ");
    }

    private interface Setup {
        void configure(LoggerContext context) throws Exception;
    }

    private static Setup xml(java.net.URL url) {
        return context -> {
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(url);
        };
    }

    /** What a logback context configured from {@code resource} writes to stderr for {@code body}. */
    private static String logThrough(String resource, java.util.function.Consumer<Logger> body) throws Exception {
        return logThrough(xml(LogFormatTest.class.getClassLoader().getResource(resource)), body);
    }

    private static String logThrough(Setup setup, java.util.function.Consumer<Logger> body) throws Exception {
        return logThrough(setup, "io.procpool.test", body);
    }

    /** What a logback context set up by {@code setup} writes to stderr for {@code body}, through logger {@code name}. */
    private static String logThrough(Setup setup, String name, java.util.function.Consumer<Logger> body) throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter()); // the one MDC.put writes to
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            setup.configure(context);
            body.accept(context.getLogger(name));
        } finally {
            context.stop(); // the async appender writes what it holds
            System.setErr(stderr);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
