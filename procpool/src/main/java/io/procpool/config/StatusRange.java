package io.procpool.config;

import java.util.List;
import java.util.Optional;

/**
 * The HTTP statuses a health probe accepts, written as a comma-separated list of codes
 * ({@code 200}), classes ({@code 2xx}) and ranges ({@code 200-299}).
 */
public final class StatusRange {

    private final String text;
    private final List<int[]> ranges;

    private StatusRange(String text, List<int[]> ranges) {
        this.text = text;
        this.ranges = ranges;
    }

    /** Parses {@code "2xx"}, {@code "200,204"}, {@code "200-399"}; empty when malformed. */
    public static Optional<StatusRange> parse(String text) {
        List<int[]> out = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim().toLowerCase(java.util.Locale.ROOT);
            try {
                if (p.matches("[1-5]xx")) {
                    int base = (p.charAt(0) - '0') * 100;
                    out.add(new int[] {base, base + 99});
                } else if (p.matches("\\d{3}-\\d{3}")) {
                    int lo = Integer.parseInt(p.substring(0, 3));
                    int hi = Integer.parseInt(p.substring(4));
                    if (lo > hi || lo < 100 || hi > 599) {
                        return Optional.empty();
                    }
                    out.add(new int[] {lo, hi});
                } else if (p.matches("\\d{3}")) {
                    int code = Integer.parseInt(p);
                    if (code < 100 || code > 599) {
                        return Optional.empty();
                    }
                    out.add(new int[] {code, code});
                } else {
                    return Optional.empty();
                }
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return out.isEmpty() ? Optional.empty() : Optional.of(new StatusRange(text.trim(), List.copyOf(out)));
    }

    /** True when {@code status} is accepted. */
    public boolean contains(int status) {
        for (int[] r : ranges) {
            if (status >= r[0] && status <= r[1]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusRange other && other.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
