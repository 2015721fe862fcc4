package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A small client of the admin API for {@code procpool ctl}: one request, one answer.
 *
 * <p>On {@link HttpURLConnection}, not {@code java.net.http.HttpClient}: that client sets up TLS
 * and its selector thread when it is built, 700 classes that made {@code poolctl status} take
 * 1.65 s of wall time against 0.55 s for {@code --help}; an operator's command should answer in
 * well under a second.
 */
final class AdminClient {

    /** The manager could not be reached at all. */
    static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message);
        }
    }

    /** An answer: the status and the body (JSON, or text for nginx). */
    record Answer(int status, String body) {
        boolean ok() {
            return status / 100 == 2;
        }

        JsonNode json() throws IOException {
            return Json.read(body);
        }

        /** The API's error text for a failed answer: {@code error: detail}. */
        String error() {
            try {
                JsonNode n = json();
                JsonNode d = n.path("detail");
                String detail;
                if (d.isArray()) {
                    StringBuilder lines = new StringBuilder();
                    d.forEach(x -> lines.append("\n  ").append(x.asText()));
                    detail = ":" + lines;
                } else {
                    detail = d.isNull() || d.isMissingNode() ? "" : ": " + d.asText();
                }
                return n.path("error").asText("HTTP " + status) + detail;
            } catch (IOException e) {
                return "HTTP " + status + ": " + body;
            }
        }
    }

    static {
        // Never send a POST twice: the JDK otherwise repeats one whose connection broke.
        System.setProperty("sun.net.http.retryPost", "false");
    }

    private final URI base;
    private final Optional<String> token;
    private static final Duration CONNECT = Duration.ofSeconds(3);

    /** @param base the admin API's base URI, ending in {@code /} (see {@link AdminAddress}) */
    AdminClient(URI base, Optional<String> token) {
        this.base = base;
        this.token = token;
    }

    URI base() {
        return base;
    }

    Answer get(String path) throws Unreachable {
        return send("GET", path, Duration.ofSeconds(10));
    }

    Answer post(String path, Duration timeout) throws Unreachable {
        return send("POST", path, timeout);
    }

    /** Takes the lines of a stream as they come; returning false ends the stream. */
    interface LineSink {
        boolean line(String line) throws IOException;
    }

    /**
     * Follows a streamed answer ({@code GET /events}): each line goes to {@code sink} as it
     * arrives, until the server ends the stream (empty answer) or refuses it (its answer).
     *
     * @param idle how long the stream may stay silent (the server's keep-alives included) before
     *     the manager counts as gone
     * @throws Unreachable when the manager cannot be reached, or the connection breaks or falls silent
     */
    Optional<Answer> stream(String path, Duration idle, LineSink sink) throws Unreachable {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
            c.setConnectTimeout((int) CONNECT.toMillis());
            c.setReadTimeout((int) idle.toMillis());
            c.setUseCaches(false);
            c.setRequestProperty("Accept", "text/event-stream");
            int status = c.getResponseCode();
            if (status / 100 != 2) {
                InputStream err = c.getErrorStream();
                return Optional.of(new Answer(status, err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8)));
            }
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (!sink.line(line)) {
                        break;
                    }
                }
            }
            return Optional.empty();
        } catch (ConnectException e) {
            throw new Unreachable("no procpool manager answers at " + base + " (is it running? see --admin)");
        } catch (SocketTimeoutException e) {
            throw new Unreachable(String.valueOf(e.getMessage()).contains("connect")
                    ? "no procpool manager answers at " + base + " within " + CONNECT.toSeconds() + " s (is it running? see --admin)"
                    : "the manager at " + base + " fell silent for " + idle.toSeconds() + " s; connection given up");
        } catch (IOException e) {
            throw new Unreachable("lost the connection to the manager at " + base + ": " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private Answer send(String method, String path, Duration timeout) throws Unreachable {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout((int) CONNECT.toMillis());
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            c.setUseCaches(false);
            if (method.equals("POST")) {
                HttpURLConnection post = c;
                token.ifPresent(t -> post.setRequestProperty("Authorization", "Bearer " + t));
                // The header a browser's cross-site request cannot carry: the API does not need it
                // from a program, but poolctl says what it is (docs/api.md, Security).
                post.setRequestProperty("X-Procpool-Request", "1");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(0);
                c.getOutputStream().close();
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (status == 401 && body.isBlank()) {
                // A 401 with a challenge to a streamed POST leaves HttpURLConnection without the body.
                body = Json.object().put("error", token.isPresent() ? "wrong token" : "authorization required")
                        .put("detail", "give the manager's admin token (admin.token or admin.token-file in its pool file) with --token, $PROCPOOL_TOKEN or $PROCPOOL_ADMIN_TOKEN").toString();
            }
            return new Answer(status, body);
        } catch (ConnectException e) {
            throw new Unreachable("no procpool manager answers at " + base + " (is it running? see --admin)");
        } catch (SocketTimeoutException e) {
            throw new Unreachable(String.valueOf(e.getMessage()).contains("connect")
                    ? "no procpool manager answers at " + base + " within " + CONNECT.toSeconds() + " s (is it running? see --admin)"
                    : "the manager at " + base + " did not answer within " + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new Unreachable("cannot talk to the manager at " + base + ": " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }
}
