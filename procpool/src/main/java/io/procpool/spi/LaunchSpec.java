package io.procpool.spi;

import io.procpool.config.LogSettings;
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
 * @param logFile where stdout and stderr go
 * @param log how {@code logFile} is rotated
 */
public record LaunchSpec(String service, int port, List<String> command, Path workingDir,
                         Map<String, String> env, Path logFile, LogSettings log) {

    public LaunchSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    /** {@code search:8000}, the name an instance goes by in logs. */
    public String label() {
        return service + ":" + port;
    }
}
