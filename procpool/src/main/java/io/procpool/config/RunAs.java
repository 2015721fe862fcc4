package io.procpool.config;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Who a service's processes run as, and with which umask: switched in the child before the
 * command runs, never in procpool.
 *
 * @param user the user (name or number) the process runs as; empty: procpool's own
 * @param group its group (name or number); empty: the user's primary group, or procpool's own
 *     when no user is set
 * @param umask the file mode creation mask, such as {@code 0027}; empty: procpool's own
 */
public record RunAs(Optional<String> user, Optional<String> group, OptionalInt umask) {

    /** As procpool itself: nothing switched. */
    public static final RunAs INHERIT = new RunAs(Optional.empty(), Optional.empty(), OptionalInt.empty());

    /** True when nothing is switched. */
    public boolean inherits() {
        return user.isEmpty() && group.isEmpty() && umask.isEmpty();
    }

    /** {@code 027} as {@code "0027"}, the way it is written. */
    public static String octal(int umask) {
        return String.format("%04o", umask);
    }

    /**
     * Reads {@code user}, {@code group} and {@code umask} of a service. A user or group that
     * does not exist here, or either of them set while procpool does not run as root, is an error
     * when the service is enabled (a disabled one may be meant for another machine).
     */
    static RunAs read(FieldReader svc, boolean enabled) {
        return read(svc, enabled, root());
    }

    /** As {@link #read(FieldReader, boolean)}, with whether procpool runs as root given (tests). */
    static RunAs read(FieldReader svc, boolean enabled, boolean root) {
        Optional<String> user = account(svc, "user", enabled);
        Optional<String> group = account(svc, "group", enabled);
        OptionalInt umask = OptionalInt.empty();
        String text = svc.has("umask") ? svc.string("umask").trim() : "";
        if (!text.isEmpty()) {
            if (text.matches("[0-7]{1,4}") && Integer.parseInt(text, 8) <= 0777) {
                umask = OptionalInt.of(Integer.parseInt(text, 8));
            } else {
                svc.fail("umask", "must be an octal mask such as \"022\" or \"0027\" (digits 0 to 7, at most 0777), got \""
                        + text + "\"");
            }
        }
        if (enabled && (user.isPresent() || group.isPresent()) && !root) {
            svc.fail(user.isPresent() ? "user" : "group", "needs procpool to run as root: only root can start a process as "
                    + "another user or group; remove it, or run procpool as root");
        }
        return new RunAs(user, group, umask);
    }

    private static Optional<String> account(FieldReader svc, String key, boolean enabled) {
        String name = svc.has(key) ? svc.string(key).trim() : "";
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (!name.matches("[A-Za-z0-9._][A-Za-z0-9._-]*\\$?") || name.length() > 256) {
            svc.fail(key, "must be a " + key + " name or number such as \"" + (key.equals("user") ? "nobody" : "nogroup")
                    + "\", got \"" + name + "\"");
            return Optional.empty();
        }
        if (enabled) {
            UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            try {
                if (key.equals("user")) {
                    lookup.lookupPrincipalByName(name);
                } else {
                    lookup.lookupPrincipalByGroupName(name);
                }
            } catch (UserPrincipalNotFoundException e) {
                svc.fail(key, "no " + key + " '" + name + "' on this machine (a name from "
                        + (key.equals("user") ? "/etc/passwd" : "/etc/group") + " or a number)");
                return Optional.empty();
            } catch (IOException | UnsupportedOperationException e) {
                svc.fail(key, "cannot look up " + key + " '" + name + "': " + e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(name);
    }

    /** True when procpool's effective user is root (the owner of {@code /proc/self}). */
    private static boolean root() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
