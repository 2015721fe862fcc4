package io.procpool.cli;

/** The command line's exit codes. */
public final class ExitCodes {

    /** A clean shutdown, or a valid configuration. */
    public static final int OK = 0;
    /** Any other fatal error: the admin port is taken, the state dir is locked, ... */
    public static final int FATAL = 1;
    /** The configuration is invalid (or the command line is); nothing was started. */
    public static final int CONFIG = 2;

    private ExitCodes() {
    }
}
