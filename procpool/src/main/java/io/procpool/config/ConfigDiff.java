package io.procpool.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What changes between two configurations, service by service, and what that means for a running
 * pool: start, stop, roll over to a new command, adjust in place, or leave alone. Pure.
 *
 * @param added services to start (new, or newly enabled)
 * @param removed services to stop (gone, or now disabled)
 * @param rolled services whose command, environment or working dir changed: their instances are
 *     replaced, one at a time
 * @param adjusted services with other changes (counts, ports, probe, stop, restart, limits,
 *     scaling): adjusted without touching running processes
 * @param unchanged services left alone
 * @param ignored pool-level settings that differ from those procpool runs with and that only a
 *     restart of procpool applies, for people
 * @param toggled those of {@code added} and {@code removed} that are in both files, only enabled
 *     or disabled: the summary says so rather than added or removed
 */
public record ConfigDiff(List<String> added, List<String> removed, List<String> rolled, List<String> adjusted,
                         List<String> unchanged, List<String> ignored, List<String> toggled) {

    /**
     * The difference from {@code before} to {@code after}, for a pool started with {@code started}:
     * the services are compared with {@code before} (what runs now), the settings only a restart
     * applies with {@code started} (what they still are), so a file that puts one back says
     * nothing, and one that keeps a change still says it waits for a restart.
     */
    public static ConfigDiff between(PoolSettings before, PoolSettings after, PoolSettings started) {
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> rolled = new ArrayList<>();
        List<String> adjusted = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        List<String> toggled = new ArrayList<>();
        for (ServiceSettings s : after.services().values()) {
            ServiceSettings old = before.services().get(s.name());
            boolean wasRunning = old != null && old.enabled();
            if (!s.enabled()) {
                if (wasRunning) {
                    removed.add(s.name());
                    toggled.add(s.name());
                }
            } else if (!wasRunning) {
                added.add(s.name());
                if (old != null) {
                    toggled.add(s.name());
                }
            } else if (old.runsDifferently(s)) {
                rolled.add(s.name());
            } else if (!old.equals(s)) {
                adjusted.add(s.name());
            } else {
                unchanged.add(s.name());
            }
        }
        for (ServiceSettings old : before.services().values()) {
            if (old.enabled() && !after.services().containsKey(old.name())) {
                removed.add(old.name());
            }
        }
        List<String> ignored = new ArrayList<>();
        // The admin token is applied at once (the API checks the latest settings); the rest needs a restart.
        if (!Objects.equals(withoutToken(started.admin()), withoutToken(after.admin()))) {
            ignored.add(after.named("admin") + " changed: it takes effect when procpool is restarted (a new token is applied at once)");
        }
        if (!Objects.equals(started.gateway(), after.gateway())) {
            ignored.add(after.named("gateway") + " changed: it takes effect when procpool is restarted (the routes, a service's "
                    + "route { }, are taken at once)");
        }
        if (!started.stateDir().equals(after.stateDir())) {
            ignored.add(after.named("state-dir") + " changed: it takes effect when procpool is restarted");
        }
        if (started.childrenDieWithManager() != after.childrenDieWithManager()) {
            ignored.add(after.named("children-die-with-manager") + " changed: it takes effect when procpool is restarted");
        }
        if (!started.cluster().equals(after.cluster())) {
            ignored.add(after.named("cluster") + " changed: it takes effect when procpool is restarted");
        }
        if (started.watchConfig() != after.watchConfig()) {
            ignored.add(after.named("watch-config") + " changed: it takes effect when procpool is restarted");
        }
        if (!started.startupTimeout().equals(after.startupTimeout())) {
            ignored.add(after.named("startup-timeout") + " changed: it counts at procpool's next start");
        }
        return new ConfigDiff(List.copyOf(added), List.copyOf(removed), List.copyOf(rolled), List.copyOf(adjusted),
                List.copyOf(unchanged), List.copyOf(ignored), List.copyOf(toggled));
    }

    private static AdminSettings withoutToken(AdminSettings admin) {
        return new AdminSettings(admin.enabled(), admin.host(), admin.port(), java.util.Optional.empty());
    }

    /** {@code "added: a; enabled: f; removed: b; disabled: g; rolled: c; adjusted: d; unchanged: e"}. */
    public String summary() {
        List<String> parts = new ArrayList<>();
        part(parts, "added", added.stream().filter(n -> !toggled.contains(n)).toList());
        part(parts, "enabled", added.stream().filter(toggled::contains).toList());
        part(parts, "removed", removed.stream().filter(n -> !toggled.contains(n)).toList());
        part(parts, "disabled", removed.stream().filter(toggled::contains).toList());
        part(parts, "rolled", rolled);
        part(parts, "adjusted", adjusted);
        part(parts, "unchanged", unchanged);
        return parts.isEmpty() ? "nothing to do" : String.join("; ", parts);
    }

    private static void part(List<String> parts, String label, List<String> names) {
        if (!names.isEmpty()) {
            parts.add(label + ": " + String.join(", ", names));
        }
    }
}
