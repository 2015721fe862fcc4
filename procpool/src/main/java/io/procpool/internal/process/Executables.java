package io.procpool.internal.process;

import io.procpool.spi.LaunchException;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the program a command names, the way {@code execvp} would, so that a missing runtime is
 * reported as "command not found: dotnet-script" before anything is started, instead of as a
 * child that exits at once and is restarted in a loop.
 */
public final class Executables {

    private Executables() {
    }

    /**
     * The environment children start from: procpool's own, without what systemd gave procpool
     * alone ({@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC}, {@code WATCHDOG_PID}: a service that
     * speaks sd_notify would otherwise report to procpool's unit as if it were procpool), and
     * without procpool's own configuration ({@code PROCPOOL_...}, {@code CONFIG_FORCE_...}), which
     * may hold the admin token: a service, run as another user or not, must not be able to read
     * it from its own environment. A service's own {@code env} may still set any of them.
     */
    public static Map<String, String> inheritedEnvironment() {
        return inheritedEnvironment(System.getenv());
    }

    /** {@link #inheritedEnvironment()} of a given environment (tests). */
    public static Map<String, String> inheritedEnvironment(Map<String, String> procpools) {
        Map<String, String> env = new java.util.HashMap<>(procpools);
        env.keySet().removeAll(io.procpool.internal.systemd.SystemdEnvironment.VARIABLES);
        env.keySet().removeIf(io.procpool.config.EnvironmentOverrides::isProcpoolsOwn);
        return env;
    }

    /**
     * Resolves {@code program}: a name with a slash is taken relative to {@code workingDir}, a bare
     * name is looked up on the {@code PATH} of {@code env}.
     *
     * @throws LaunchException (permanent) when it does not exist or is not executable
     */
    public static Path resolve(String program, Path workingDir, Map<String, String> env) {
        if (program.contains("/")) {
            Path p = workingDir.resolve(program).normalize();
            if (!Files.exists(p)) {
                throw new LaunchException("command not found: " + program + " (no file " + p + ")", true);
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw new LaunchException("command not executable: " + program + " (" + p + ")", true);
            }
            return p;
        }
        return onPath(program, env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"), workingDir)
                .orElseThrow(() -> new LaunchException("command not found: " + program, true));
    }

    /** The first executable file named {@code name} on {@code path}. */
    public static Optional<Path> onPath(String name, String path, Path workingDir) {
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = workingDir.resolve(dir.isEmpty() ? "." : dir).resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toAbsolutePath().normalize());
            }
        }
        return Optional.empty();
    }
}
