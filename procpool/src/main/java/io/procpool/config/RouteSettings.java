package io.procpool.config;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How the gateway reaches a service ({@code route { ... }}).
 *
 * @param pathPrefix requests whose path starts with this (at a segment boundary) go to the service;
 *                   {@code /NAME} unless set
 * @param stripPrefix true: the prefix is removed before the request reaches an instance
 *                    ({@code /search/?q=x} arrives as {@code /?q=x})
 * @param host when present, only requests for this host (the {@code Host} header, port ignored) match
 * @param requestTimeout how long an instance may take to start its answer before the gateway answers 504
 * @param maxBody the largest request body passed on; larger is answered 413; empty: unlimited (streamed)
 */
public record RouteSettings(String pathPrefix, boolean stripPrefix, Optional<String> host, Duration requestTimeout,
                            OptionalLong maxBody) {
}
