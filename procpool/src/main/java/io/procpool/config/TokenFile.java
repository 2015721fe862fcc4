package io.procpool.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code admin.token-file}: the admin token read from a file of its own, so that it is neither in
 * the pool file nor on a command line ({@code ps} shows {@code -D}). Like ssh with a private key, a
 * file that group or others may read or write is refused: the token would not be secret. Read on
 * every load, so a reload picks up a rotated token.
 */
final class TokenFile {

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** Why the file gives no token, for people: names the file and what to do. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private TokenFile() {
    }

    /**
     * The token in {@code file} (symlinks followed, as a Kubernetes secret's are), without its
     * trailing newline.
     *
     * @throws Refused when the file is missing, unreadable, open to group or others, empty, or
     *     holds more than one line
     */
    static String read(Path file) throws Refused {
        if (!Files.isRegularFile(file)) {
            throw new Refused(file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                throw new Refused(file + " has mode " + octal(mode) + " (" + PosixFilePermissions.toString(mode)
                        + "): a token file must not be readable or writable by group or others; chmod 600 " + file
                        + " (in Kubernetes: defaultMode 0400 on the secret's volume)");
            }
            // As ssh: a file another user owns is that user's to write, whatever its mode, and so
            // would be the token; only procpool's own user or root may own it.
            int owner = (Integer) Files.getAttribute(file, "unix:uid");
            int self = ownUid();
            if (owner != self && owner != 0) {
                throw new Refused(file + " is owned by uid " + owner + ", not by procpool's user (uid " + self
                        + ") or root: whoever owns a token file chooses the token; chown it to uid " + self);
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // No POSIX modes or owners on this file system: nothing to check.
        } catch (IOException e) {
            throw new Refused(file + " cannot be read: " + e.getMessage());
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Refused(file + " cannot be read: " + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()));
        }
        String token = text.stripTrailing();
        if (token.isEmpty()) {
            throw new Refused(file + " is empty: write the token in it (one line)");
        }
        if (token.contains("\n") || token.contains("\r")) {
            throw new Refused(file + " holds more than one line: the token is its only line");
        }
        return token;
    }

    /** The effective uid procpool runs as: the owner of its own /proc entry. */
    private static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format(Locale.ROOT, "%04o", bits);
    }
}
