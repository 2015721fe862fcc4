package io.procpool.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One service, validated: a command run once per port, between {@code minProcesses} and
 * {@code maxProcesses} instances at a time. Instance i runs on {@code ports.get(i)}.
 *
 * @param name the service's name, safe for file names and URLs
 * @param enabled false: configured but never started (reported as DISABLED)
 * @param command the words of the command line; {@code {port}} is replaced per instance
 * @param ports the ports instances may run on, in the order they are used
 * @param minProcesses instances started at once and kept at least
 * @param maxProcesses instances the service may scale up to
 * @param workingDir the directory the command runs in (absolute)
 * @param env variables added to procpool's own environment; {@code {port}} is replaced
 * @param health how instances are probed
 * @param restart how failed instances are restarted
 * @param stop how instances are stopped
 * @param log how captured output is rotated
 * @param scaling automatic scaling between min and max
 * @param limits resource limits per instance
 * @param route how the gateway reaches the service
 * @param drain what a planned stop waits for before its signal
 * @param dependsOn the services this one starts after (each must have an instance ready first) and
 *     stops before, in the order written; empty for most services
 * @param runAs the user, group and umask its processes run with
 * @param placementRoles on a cluster, the roles a node must all have to run it ({@code placement.roles}); empty: any node
 */
public record ServiceSettings(String name, boolean enabled, List<String> command, List<Integer> ports,
                              int minProcesses, int maxProcesses, Path workingDir, Map<String, String> env,
                              HealthSettings health, RestartSettings restart, StopSettings stop,
                              LogSettings log, ScalingSettings scaling, LimitSettings limits,
                              RouteSettings route, DrainSettings drain, List<String> dependsOn, RunAs runAs,
                              List<String> placementRoles) {

    public ServiceSettings {
        command = List.copyOf(command);
        dependsOn = List.copyOf(dependsOn);
        placementRoles = List.copyOf(placementRoles);
        ports = List.copyOf(ports);
        env = Map.copyOf(env);
    }

    /** True when the instances' processes must be sampled for CPU and memory. */
    public boolean needsSampling() {
        return enabled && (scaling.enabled() && scaling.metric() == ScalingSettings.Metric.CPU || limits.any());
    }

    /** True when a running instance must be replaced to take {@code other}: what it runs, or how, changed. */
    public boolean runsDifferently(ServiceSettings other) {
        return !command.equals(other.command) || !env.equals(other.env) || !workingDir.equals(other.workingDir)
                || !runAs.equals(other.runAs) || log.stderr() != other.log.stderr() || log.timestamps() != other.log.timestamps();
    }

    /** The command line of the instance on {@code port}, with {@code {port}} substituted. */
    public List<String> commandFor(int port) {
        return CommandLine.forPort(command, port);
    }

    /** The extra environment of the instance on {@code port}, including {@code PORT}. */
    public Map<String, String> envFor(int port) {
        return CommandLine.envForPort(env, port);
    }
}
