package io.procpool.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code type = exec}: runs {@code command} (split like a service's command, never through a
 * shell) in the service's working dir with the service's environment plus {@code PORT}, under the
 * probe's timeout; healthy when it exits 0, as a Kubernetes exec probe. {@code {port}} in a word
 * or a variable is the instance's port.
 *
 * @param command the words to run
 * @param workingDir the service's working dir
 * @param env the service's environment, {@code {port}} not yet replaced
 */
public record ExecProbe(List<String> command, Path workingDir, Map<String, String> env) implements ProbeSpec {

    /** Copies the command and environment: a probe is immutable. */
    public ExecProbe {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    @Override
    public String kind() {
        return "exec";
    }

    @Override
    public String describe(int port) {
        return "exec " + CommandLine.render(commandFor(port));
    }

    @Override
    public String summary() {
        return "exec " + CommandLine.render(command);
    }

    /** The command for the instance on {@code port}. */
    public List<String> commandFor(int port) {
        return CommandLine.forPort(command, port);
    }

    /** The variables added for the instance on {@code port}, {@code PORT} included. */
    public Map<String, String> envFor(int port) {
        return CommandLine.envForPort(env, port);
    }
}
