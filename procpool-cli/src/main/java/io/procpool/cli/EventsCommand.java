package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code poolctl events [SERVICE]}: follows {@code GET /events} (Server-Sent Events) and prints one
 * line per event as it happens, or with {@code --json} each event's JSON on a line of its own with
 * its kind added as {@code "event"}. It runs until Ctrl-C (the JVM's exit, 130) or until the
 * manager goes away: a manager that shuts down ends the stream, one that dies or falls silent for
 * {@link #SILENCE} (the API sends a keep-alive every 15 s) breaks it; either way poolctl says so
 * and exits 1, as for a manager it cannot reach.
 */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = {"Follow what happens in the pool, until Ctrl-C.",
            "Instance transitions, scaling decisions and operations, one line each (--json: each event's JSON on a line). "
            + "Exit 1 when the manager goes away."})
final class EventsCommand extends CtlCommand.Subcommand {

    /** Three missed keep-alives: the manager is gone (or the network between). */
    static final Duration SILENCE = Duration.ofSeconds(45);

    @Parameters(arity = "0..1", paramLabel = "SERVICE", description = "Only the events of this service.")
    String service;

    @Override
    int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
        if (service != null) {
            // A service the pool does not have is said at once, as status and logs say it, rather
            // than followed for ever with nothing to show.
            AdminClient.Answer known = client.get("status/" + enc(service));
            if (!known.ok()) {
                return report(known, out);
            }
        }
        SseParser parser = new SseParser((kind, data) -> print(kind, data, out));
        Optional<AdminClient.Answer> refused = client.stream("events", SILENCE, line -> {
            parser.line(line);
            return true;
        });
        if (refused.isPresent()) {
            return report(refused.get(), out);
        }
        out.flush();
        err().println("poolctl: the manager at " + client.base() + " ended the event stream (it is shutting down)");
        return ExitCodes.FATAL;
    }

    private void print(String kind, String data, PrintWriter out) throws IOException {
        JsonNode e = Json.read(data);
        if (service != null && !service.equals(e.path("service").asText())) {
            return;
        }
        if (json()) {
            ObjectNode withKind = Json.object().put("event", kind);
            withKind.setAll((ObjectNode) e);
            out.println(withKind);
        } else {
            out.println(describe(kind, e));
        }
        out.flush();
    }

    /**
     * One event for people: its time, what it concerns, and what happened.
     *
     * <pre>
     * 2026-12-05T10:00:00.120Z  search:8000  STARTING -> HEALTHY  pid 4711  probe succeeded in 3ms
     * 2026-12-05T10:00:05.000Z  search       scaled 2 -> 3  cpu 0.910 per instance vs target 0.700 for 30s
     * 2026-12-05T10:01:00.000Z  search       rolling restart: started
     * 2026-12-05T10:01:09.000Z  search       rolling restart: ok: search: 2 instance(s) replaced
     * </pre>
     */
    static String describe(String kind, JsonNode e) {
        String time = millis(e.path("time").asText());
        String service = e.path("service").asText();
        return switch (kind) {
            case "transition" -> time + "  " + service + ":" + e.path("port").asText() + "  " + e.path("from").asText()
                    + " -> " + e.path("to").asText() + (e.path("pid").isNumber() ? "  pid " + e.path("pid").asText() : "")
                    + "  " + e.path("reason").asText();
            case "scaling" -> time + "  " + service + "  scaled " + e.path("from").asText() + " -> " + e.path("to").asText()
                    + "  " + e.path("reason").asText();
            case "operation" -> time + "  " + service + "  " + e.path("operation").asText() + ": " + e.path("result").asText()
                    + (e.path("message").isTextual() ? ": " + e.path("message").asText() : "");
            default -> time + "  " + service + "  " + kind + " " + e;
        };
    }

    /** An ISO instant to the millisecond, always the same width (an older manager gave nanoseconds); anything else as it is. */
    private static String millis(String time) {
        try {
            return io.procpool.internal.admin.StatusJson.time(java.time.Instant.parse(time));
        } catch (java.time.format.DateTimeParseException e) {
            return time;
        }
    }

    /**
     * Server-Sent Events, line by line: {@code event:} and {@code data:} fields, dispatched at a
     * blank line; an event without data (the keep-alive, {@code data:} alone) is none.
     */
    static final class SseParser {
        /** Takes one complete event. */
        interface Handler {
            void event(String kind, String data) throws IOException;
        }

        private final Handler handler;
        private String kind = "message";
        private StringBuilder data;

        SseParser(Handler handler) {
            this.handler = handler;
        }

        void line(String line) throws IOException {
            if (line.isEmpty()) {
                // An empty data field is the API's keep-alive: no event, as in a browser's EventSource.
                if (data != null && data.length() > 0) {
                    handler.event(kind, data.toString());
                }
                kind = "message";
                data = null;
            } else if (line.startsWith("event:")) {
                kind = field(line, 6);
            } else if (line.startsWith("data:")) {
                data = data == null ? new StringBuilder() : data.append('\n');
                data.append(field(line, 5));
            }
            // comments (":...") and other fields (id, retry) are not used by the admin API
        }

        private static String field(String line, int from) {
            String v = line.substring(from);
            return v.startsWith(" ") ? v.substring(1) : v;
        }
    }
}
