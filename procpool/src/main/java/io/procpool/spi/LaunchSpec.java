package io.procpool.spi;

import io.procpool.config.LogSettings;
import io.procpool.config.RunAs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to start one instance's process.
 *
 * @param service the service name, for the state file and messages
 * @param port the instance's port
 * @param command the command line, {@code {port}} already substituted
 * @param workingDir the directory to run in
 * @param env variables added to the manager's environment
 * @param logFile where stdout goes, and stderr unless {@code log} gives it a file of its own
 * @param log how the output is captured and {@code logFile} rotated
 * @param runAs the user, group and umask the process runs with
 */
public record LaunchSpec(String service, int port, List<String> command, Path workingDir,
                         Map<String, String> env, Path logFile, LogSettings log, RunAs runAs) {

    public LaunchSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    /** A spec that runs as procpool itself. */
    public LaunchSpec(String service, int port, List<String> command, Path workingDir, Map<String, String> env, Path logFile,
                      LogSettings log) {
        this(service, port, command, workingDir, env, logFile, log, RunAs.INHERIT);
    }

    /** {@code search:8000}, the name an instance goes by in logs. */
    public String label() {
        return service + ":" + port;
    }
}
