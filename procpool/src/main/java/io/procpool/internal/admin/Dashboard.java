package io.procpool.internal.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The dashboard's files ({@code io/procpool/dashboard/} in the jar: one page, its script and its
 * style sheet, written by hand), read once and answered with headers that keep the page to its
 * own host: a Content-Security-Policy that allows nothing from elsewhere (no CDN, no request to
 * another host, no inline script) and no framing (an action's confirmation cannot be clicked
 * through another site's frame). Which requests get the page is {@link #wantsPage}'s decision.
 */
final class Dashboard {

    static final String PAGE = "index.html";
    private static final String DIR = "io/procpool/dashboard/";
    private static final String POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

    private record Asset(ContentType type, byte[] bytes) {
    }

    private final Map<String, Asset> assets = Map.of(
            PAGE, read(PAGE, ContentTypes.TEXT_HTML_UTF8),
            "app.js", read("app.js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)),
            "app.css", read("app.css", MediaTypes.TEXT_CSS.toContentType(org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)));

    /** The file named, with the page's headers; empty for any other name. */
    Optional<HttpResponse> file(String name) {
        Asset a = assets.get(name);
        return a == null ? Optional.empty() : Optional.of(HttpResponse.create()
                .withEntity(HttpEntities.create(a.type(), a.bytes()))
                .addHeaders(List.of(RawHeader.create("Content-Security-Policy", POLICY), RawHeader.create("X-Frame-Options", "DENY"),
                        RawHeader.create("X-Content-Type-Options", "nosniff"), RawHeader.create("Cache-Control", "no-cache"),
                        RawHeader.create("Vary", "Accept"))));
    }

    /**
     * A browser asks for the page: its {@code Accept} names {@code text/html} itself. A wildcard
     * alone ({@code curl}'s default) or JSON keeps the endpoint list.
     */
    static boolean wantsPage(Optional<String> accept) {
        return accept.map(a -> java.util.Arrays.stream(a.split(","))
                .map(part -> part.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT))
                .anyMatch(type -> type.equals("text/html"))).orElse(false);
    }

    private static Asset read(String name, ContentType type) {
        try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard's " + DIR + name + " is not in the jar");
            }
            return new Asset(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
