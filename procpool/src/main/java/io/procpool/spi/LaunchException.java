package io.procpool.spi;

/**
 * A process could not be started. The message is for people: "command not found: dotnet-script".
 *
 * @see ProcessLauncher#launch
 */
public final class LaunchException extends RuntimeException {

    private final boolean permanent;

    /**
     * @param permanent true when retrying cannot help until something outside changes (the
     *     executable is missing or not executable), false for transient failures (fork failed)
     */
    public LaunchException(String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.permanent = permanent;
    }

    public LaunchException(String message, boolean permanent) {
        this(message, permanent, null);
    }

    /** True when retrying at once is pointless. */
    public boolean permanent() {
        return permanent;
    }
}
