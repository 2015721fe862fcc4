package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/** A small client of the admin API for {@code procpool ctl}: one request, one answer. */
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
            return JSON.readTree(body);
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

    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** @param base the admin API's base URI, ending in {@code /} (see {@link AdminAddress}) */
    AdminClient(URI base, Optional<String> token) {
        this.base = base;
        this.token = token;
    }

    URI base() {
        return base;
    }

    Answer get(String path) throws Unreachable {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), Duration.ofSeconds(10));
    }

    Answer post(String path, Duration timeout) throws Unreachable {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.noBody());
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return send(b, timeout);
    }

    private Answer send(HttpRequest.Builder request, Duration timeout) throws Unreachable {
        try {
            HttpResponse<String> r = http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException e) {
            throw new Unreachable("no procpool manager answers at " + base + " (is it running? see --admin)");
        } catch (HttpTimeoutException e) {
            throw new Unreachable("the manager at " + base + " did not answer within " + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new Unreachable("cannot talk to the manager at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        }
    }
}
