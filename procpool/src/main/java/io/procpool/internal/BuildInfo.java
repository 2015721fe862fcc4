package io.procpool.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this build of procpool is: its version, the commit it was built from and when. Maven
 * writes them into {@code io/procpool/build.properties} (resource filtering, with the commit from
 * git-commit-id-maven-plugin); {@code procpool --version} prints them and {@code /metrics} has them
 * as {@code procpool_build_info{version,commit}}.
 *
 * <p>Classes compiled by an IDE without Maven's resource step find the file unfiltered or absent:
 * then every field is {@code "unknown"} rather than a {@code ${...}} placeholder.
 */
public record BuildInfo(String version, String commit, String time) {

    private static final String UNKNOWN = "unknown";
    private static final BuildInfo CURRENT = load();

    /** The build the running classes come from. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** One line for people: {@code procpool 0.1.0 (commit 1a2b3c4d5e, built 2026-12-05T16:00:00Z)}. */
    public String describe() {
        return "procpool " + version + " (commit " + commit + ", built " + time + ")";
    }

    static BuildInfo from(Properties p) {
        return new BuildInfo(value(p, "version"), value(p, "commit"), value(p, "time"));
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key, "").trim();
        return v.isEmpty() || v.startsWith("${") ? UNKNOWN : v;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/io/procpool/build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read procpool's build.properties", e);
        }
        return from(p);
    }
}
