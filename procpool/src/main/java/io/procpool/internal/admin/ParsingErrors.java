package io.procpool.internal.admin;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The admin API's answer to a request too malformed to reach the routes, in the same JSON shape
 * as every other error ({@code {"error": ..., "detail": ...}}).
 *
 * <p>Pekko HTTP answers an unknown method ({@code BREW /status}) with 501 and a request line
 * without a known HTTP version with 505: server errors, for what are the client's mistakes, which
 * would set off any alert on 5xx. They become 405 (with {@code Allow}) and 400. Logged at debug
 * only: a scanner sending garbage should not fill procpool's log.
 */
public final class ParsingErrors extends ParsingErrorHandler {

    /** Pekko HTTP creates it reflectively ({@code pekko.http.server.parsing.error-handler}). */
    public ParsingErrors() {
    }

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
        log.debug("admin API: malformed request ({}): {}", status.intValue(), info.summary());
        return switch (status.intValue()) {
            case 501 -> response(StatusCodes.METHOD_NOT_ALLOWED, "method not allowed", info.summary())
                    .addHeader(Allow.create(org.apache.pekko.http.javadsl.model.HttpMethods.GET,
                            org.apache.pekko.http.javadsl.model.HttpMethods.POST));
            case 505 -> response(StatusCodes.BAD_REQUEST, "unsupported HTTP version", info.summary());
            default -> response(StatusCodes.get(status.intValue()), "malformed request", info.summary());
        };
    }

    private static HttpResponse response(org.apache.pekko.http.javadsl.model.StatusCode status, String error, String detail) {
        String body = StatusJson.JSON.createObjectNode().put("error", error).put("detail", detail).toString();
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
    }
}
