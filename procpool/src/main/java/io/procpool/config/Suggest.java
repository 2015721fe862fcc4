package io.procpool.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" for unknown keys: the closest known key, if it is close enough to be a typo. */
final class Suggest {

    private Suggest() {
    }

    /**
     * The known key nearest to {@code unknown}, comparing case-insensitively and treating
     * {@code _} like {@code -} (so {@code min_processes} finds {@code min-processes}).
     */
    static Optional<String> closest(String unknown, Collection<String> known) {
        String probe = normalise(unknown);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(probe, normalise(candidate));
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        // A third of the word, at least one edit and at most three: "prot" -> "port", not "env" -> "enabled".
        int allowed = Math.max(1, Math.min(3, probe.length() / 3));
        return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    private static String normalise(String key) {
        return key.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("prot"/"port"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
