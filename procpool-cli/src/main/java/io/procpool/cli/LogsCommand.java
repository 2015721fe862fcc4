package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code poolctl logs SERVICE [PORT] [-n N] [-f]}: the tail of an instance's captured output, or of
 * every instance of the service with each line prefixed by its port; {@code -f} then follows it.
 *
 * <p>Following polls {@code GET .../log?after=OFFSET} every {@link #POLL} with the {@code end} of
 * the previous answer, rather than keeping a streamed answer open: the manager keeps no state, no
 * open file and no timer per follower; a rotation (the file cut to zero) is seen as a file shorter
 * than the offset and read from its start; and the admin API stays one request, one answer (its
 * request timeout and proxies in front of it need no exception). Two small requests a second per
 * followed instance cost the manager nothing it would notice.
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"The tail of an instance's captured output (-f: then follow it).",
            "Without PORT, of every instance of the service, each line prefixed with its port (like pm2 logs). "
            + "-f prints new lines as they are written, until Ctrl-C; exit 1 when the manager goes away."})
final class LogsCommand extends CtlCommand.Subcommand {

    /** How often a followed log is asked for what is new. */
    static final Duration POLL = Duration.ofMillis(500);

    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PORT")
    Integer port;

    @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "100", description = "How many lines (default ${DEFAULT-VALUE}).")
    int lines;

    @Option(names = {"-f", "--follow"}, description = "Then print new lines as they are written, until Ctrl-C.")
    boolean follow;

    @Override
    int run(AdminClient client, PrintWriter out) throws AdminClient.Unreachable, IOException {
        List<Integer> ports = new ArrayList<>();
        if (port != null) {
            ports.add(port);
        } else {
            AdminClient.Answer status = client.get("status/" + enc(service));
            if (!status.ok()) {
                return report(status, out);
            }
            status.json().path("ports").forEach(p -> ports.add(p.asInt()));
        }
        int width = ports.stream().mapToInt(p -> Integer.toString(p).length()).max().orElse(0);
        Map<Integer, Long> ends = new LinkedHashMap<>();
        for (int p : ports) {
            AdminClient.Answer a = client.get(path(p) + "?lines=" + lines);
            if (!a.ok() || json() && !follow) {
                if (!a.ok()) {
                    return report(a, out);
                }
                out.println(a.body());
                continue;
            }
            ends.put(p, print(a.json(), p, width, out));
        }
        if (!follow) {
            return ExitCodes.OK;
        }
        out.flush();
        while (true) {
            sleep();
            for (Map.Entry<Integer, Long> e : ends.entrySet()) {
                AdminClient.Answer a = client.get(path(e.getKey()) + "?after=" + e.getValue());
                if (!a.ok()) {
                    return report(a, out);
                }
                e.setValue(print(a.json(), e.getKey(), width, out));
            }
            out.flush();
        }
    }

    private String path(int p) {
        return "services/" + enc(service) + "/instances/" + p + "/log";
    }

    /** Prints an answer's lines (prefixed with the port when every instance is shown); its {@code end}. */
    private long print(JsonNode answer, int p, int width, PrintWriter out) {
        if (json()) {
            if (answer.path("lines").size() > 0) {
                out.println(answer);
            }
        } else {
            String prefix = port != null ? "" : String.format(Locale.ROOT, "%-" + width + "s | ", p);
            answer.path("lines").forEach(l -> out.println(prefix + l.asText()));
        }
        return answer.path("end").asLong();
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }
}
