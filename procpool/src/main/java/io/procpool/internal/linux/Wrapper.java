package io.procpool.internal.linux;

import io.procpool.config.RunAs;
import io.procpool.internal.process.Executables;
import io.procpool.spi.LaunchException;

import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The programs put in front of a command, each of which does one thing and execs the next:
 * {@code setsid} (with ProcessBuilder only; posix_spawn does it itself) makes the child a session
 * and group leader, so its whole tree can be signalled and a terminal's Ctrl-C reaches only
 * procpool; {@code procpool-pdeathsig} sets the parent-death signal (SIGTERM, which ties the
 * child's life to the manager's; {@link DeathSignalHelper}), or {@code setpriv --pdeathsig TERM}
 * where that program is not installed; {@code setpriv} switches user and group (and then sets the
 * death signal itself); {@code sh -c 'umask ...'} sets the umask.
 *
 * <p>Why programs in front and not posix_spawn itself: posix_spawn can change neither user, group
 * nor umask (POSIX has no attribute for them, and glibc adds none); only the child can, between
 * its fork and its exec, which posix_spawn does not let a caller run code in. setpriv switches
 * group, supplementary groups and user in that order, copies the new user to the saved one (no way
 * back to root), and sets the death signal after the switch (a change of user clears it). Each
 * program in front costs one exec: setpriv and sh about 0.7 ms of a start (docs/benchmarks.md),
 * procpool-pdeathsig, freestanding, about 0.01 ms. A service without {@code user}, {@code group}
 * and {@code umask} pays for no setpriv and no sh.
 */
final class Wrapper {

    private static final Logger log = LoggerFactory.getLogger(Wrapper.class);
    /** getpwnam and getpwuid answer in one static buffer. */
    private static final Object PASSWD = new Object();

    private final String setsid;
    private final String setpriv;
    /** procpool-pdeathsig, when the death signal is asked for and the program is here. */
    private final String helper;
    private final boolean deathSignal;
    /** This JVM's pid, for procpool-pdeathsig to check its parent against. */
    private final String manager;

    private Wrapper(String setsid, String setpriv, String helper, boolean deathSignal) {
        this.setsid = setsid;
        this.setpriv = setpriv;
        this.helper = helper;
        this.deathSignal = deathSignal;
        this.manager = Long.toString(ProcessHandle.current().pid());
    }

    /**
     * @param setsid put {@code setsid} in front (ProcessBuilder)
     * @param dieWithManager put {@code procpool-pdeathsig} (or {@code setpriv --pdeathsig TERM}) in front
     * @throws IllegalStateException when setsid is needed and not installed
     */
    static Wrapper find(boolean setsid, boolean dieWithManager) {
        return find(setsid, dieWithManager, dieWithManager ? DeathSignalHelper.find() : Optional.empty());
    }

    /** As {@link #find(boolean, boolean)}, with the death-signal helper found (or not) by the caller. */
    static Wrapper find(boolean setsid, boolean dieWithManager, Optional<Path> helper) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin") + ":/usr/bin:/bin";
        Path cwd = Path.of("").toAbsolutePath();
        String setsidPath = null;
        if (setsid) {
            setsidPath = Executables.onPath("setsid", path, cwd).map(Path::toString).orElseThrow(() -> new IllegalStateException(
                    "setsid (util-linux) is not installed: procpool needs it to give each child its own process group"));
        }
        String setprivPath = Executables.onPath("setpriv", path, cwd).map(Path::toString).orElse(null);
        String helperPath = dieWithManager ? helper.map(Path::toString).orElse(null) : null;
        if (dieWithManager && helperPath == null && setprivPath == null) {
            log.warn("neither procpool-pdeathsig nor setpriv found: children of a manager that is SIGKILLed live on until the next start");
        }
        return new Wrapper(setsidPath, setprivPath, helperPath, dieWithManager && (helperPath != null || setprivPath != null));
    }

    /** True when the kernel signals each child at the death of the thread that started it. */
    boolean deathSignal() {
        return deathSignal;
    }

    /** What is in front of every command, for the log. */
    String describe() {
        return !deathSignal ? "" : helper != null ? " + procpool-pdeathsig" : " + setpriv --pdeathsig";
    }

    /**
     * The words in front of a command that runs as {@code runAs}: empty when nothing is.
     *
     * @throws LaunchException (permanent) when setpriv is missing and needed, or a user has no
     *     entry in the user database and no group is set
     */
    List<String> words(RunAs runAs) {
        List<String> words = new ArrayList<>();
        if (setsid != null) {
            words.add(setsid);
        }
        boolean switches = runAs.user().isPresent() || runAs.group().isPresent();
        if (deathSignal && !switches && helper != null) {
            // procpool-pdeathsig PARENT_PID PROGRAM [ARG...]: the program follows, resolved.
            words.add(helper);
            words.add(manager);
        } else if (deathSignal || switches) {
            if (setpriv == null) {
                throw new LaunchException("setpriv (util-linux) is not installed: procpool needs it to run a service as "
                        + "another user or group", true);
            }
            words.add(setpriv);
            if (deathSignal) {
                words.add("--pdeathsig");
                words.add("TERM");
            }
            if (switches) {
                words.addAll(identity(runAs));
            }
            words.add("--");
        }
        runAs.umask().ifPresent(mask -> {
            words.add("/bin/sh");
            words.add("-c");
            words.add("umask " + RunAs.octal(mask) + " && exec \"$0\" \"$@\"");
        });
        return words;
    }

    /**
     * setpriv's options for the user and group: a user runs with its primary group (unless a group
     * is set) and its supplementary groups, as {@code su} and systemd's {@code User=} do; a group
     * alone replaces procpool's groups and keeps its user.
     */
    private static List<String> identity(RunAs runAs) {
        List<String> opts = new ArrayList<>();
        if (runAs.user().isEmpty()) {
            opts.add("--regid=" + runAs.group().orElseThrow());
            opts.add("--clear-groups");
            return opts;
        }
        String user = runAs.user().get();
        Optional<Integer> primary = primaryGroup(user);
        opts.add("--reuid=" + user);
        if (runAs.group().isPresent()) {
            opts.add("--regid=" + runAs.group().get());
        } else if (primary.isPresent()) {
            opts.add("--regid=" + primary.get());
        } else {
            throw new LaunchException("user " + user + " has no entry in the user database, so it has no primary group: "
                    + "set group too", true);
        }
        // initgroups needs the user's entry; a bare uid gets no supplementary groups.
        opts.add(primary.isPresent() ? "--init-groups" : "--clear-groups");
        return opts;
    }

    /** The primary group of {@code user} (a name, or a number) from the user database. */
    private static Optional<Integer> primaryGroup(String user) {
        synchronized (PASSWD) {
            Pointer pw = LibC.C.getpwnam(user);
            if (pw == null && user.matches("\\d+")) {
                pw = LibC.C.getpwuid(Integer.parseInt(user));
            }
            // struct passwd: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
            return pw == null ? Optional.empty() : Optional.of(pw.getInt(2L * com.sun.jna.Native.POINTER_SIZE + 4));
        }
    }
}
