package io.procpool.internal.linux;

import io.procpool.spi.LaunchException;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts a process with glibc's {@code posix_spawn}: one {@code clone(CLONE_VM|CLONE_VFORK)} and
 * one {@code exec} of the command itself, as leader of a new session
 * ({@code POSIX_SPAWN_SETSID}), with a clean signal mask and default signal handlers, stdin on
 * {@code /dev/null}, stdout and stderr appended to the log file, and every other descriptor of the
 * JVM closed ({@code posix_spawn_file_actions_addclosefrom_np}).
 *
 * <p>Why not {@link ProcessBuilder}: on Linux it first execs the JDK's {@code jspawnhelper}, which
 * then execs the command; and it cannot make the child a session leader, which took a
 * {@code setsid} wrapper, a third exec. Each exec of a dynamically linked program costs about
 * 0.7 ms on the benchmark machine, the time a respawn takes in all; starting the command
 * directly made procpool's respawn about as fast as a C supervisor's (docs/benchmarks.md).
 *
 * <p>Needs glibc 2.34 or later (for {@code addclosefrom_np}); {@link #available} says whether it
 * is there, and {@link OsProcessLauncher} falls back to {@link ProcessBuilder} otherwise.
 */
final class PosixSpawn {

    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0x40;
    private static final int O_APPEND = 0x400;
    /** glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on 64-bit Linux: room to spare. */
    private static final int ATTR_SIZE = 1024;
    private static final int ACTIONS_SIZE = 512;
    private static final int SIGSET_SIZE = 128;

    interface LibC extends Library {
        int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);

        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int flags, int mode);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

        int posix_spawn_file_actions_addchdir_np(Pointer actions, String path);

        int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

        int posix_spawnattr_init(Pointer attr);

        int posix_spawnattr_destroy(Pointer attr);

        int posix_spawnattr_setflags(Pointer attr, short flags);

        int posix_spawnattr_setsigmask(Pointer attr, Pointer set);

        int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);

        int sigemptyset(Pointer set);

        int sigfillset(Pointer set);

        String strerror(int errno);
    }

    private static final LibC C = load();

    private PosixSpawn() {
    }

    private static LibC load() {
        try {
            LibC c = Native.load("c", LibC.class, Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));
            // Resolve the newest symbol now: a libc without it (glibc before 2.34, musl) is not used.
            com.sun.jna.NativeLibrary.getInstance("c").getFunction("posix_spawn_file_actions_addclosefrom_np");
            com.sun.jna.NativeLibrary.getInstance("c").getFunction("posix_spawn_file_actions_addchdir_np");
            return c;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Binds libc here and now: see {@link LinuxPlatform#bindNatives}. */
    static void bindNatives() {
        available();
        io.procpool.internal.linux.LibC.C.getsid(0);
    }

    /** True when this libc has everything {@link #spawn} needs. */
    static boolean available() {
        return C != null;
    }

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /**
     * Everything {@code posix_spawn} needs for one command, built once and used for every start
     * of it: the file actions, the attributes, argv and the environment in native memory. A
     * start is then one native call. Freed when no longer referenced.
     */
    static final class Template {
        private final String program;
        private final Memory actions;
        private final Memory attr;
        private final Memory argv;
        private final Memory envp;

        private Template(String program, Memory actions, Memory attr, Memory argv, Memory envp) {
            this.program = program;
            this.actions = actions;
            this.attr = attr;
            this.argv = argv;
            this.envp = envp;
        }
    }

    /**
     * Prepares starts of {@code program} (an absolute path) with {@code argv} and {@code env} in
     * {@code workingDir}, stdout appended to {@code logFile}, stderr to {@code errFile} or, when
     * that is null, to {@code logFile} too.
     */
    static Template template(Path program, List<String> argv, Map<String, String> env, Path workingDir, Path logFile,
                             Path errFile) {
        return template(program, argv, env, workingDir, actions -> {
            check(C.posix_spawn_file_actions_addopen(actions, 1, logFile.toString(), O_WRONLY | O_CREAT | O_APPEND, 0644),
                    "addopen stdout");
            if (errFile == null) {
                check(C.posix_spawn_file_actions_adddup2(actions, 1, 2), "adddup2 stderr");
            } else {
                check(C.posix_spawn_file_actions_addopen(actions, 2, errFile.toString(), O_WRONLY | O_CREAT | O_APPEND, 0644),
                        "addopen stderr");
            }
        });
    }

    /**
     * Prepares one start with stdout on descriptor {@code outFd} and stderr on {@code errFd} (the
     * write ends of pipes; they may be the same). The descriptors must be close-on-exec: every
     * other process started meanwhile would otherwise hold them open.
     */
    static Template template(Path program, List<String> argv, Map<String, String> env, Path workingDir, int outFd, int errFd) {
        return template(program, argv, env, workingDir, actions -> {
            check(C.posix_spawn_file_actions_adddup2(actions, outFd, 1), "adddup2 stdout");
            check(C.posix_spawn_file_actions_adddup2(actions, errFd, 2), "adddup2 stderr");
        });
    }

    private static Template template(Path program, List<String> argv, Map<String, String> env, Path workingDir,
                                     java.util.function.Consumer<Pointer> output) {
        Memory actions = new Memory(ACTIONS_SIZE);
        Memory attr = new Memory(ATTR_SIZE);
        Memory sigset = new Memory(SIGSET_SIZE);
        check(C.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        boolean done = false;
        try {
            check(C.posix_spawnattr_init(attr), "posix_spawnattr_init");
            try {
                // Paths are opened before the chdir, relative to procpool's own directory, as the JDK does.
                check(C.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0), "addopen stdin");
                output.accept(actions);
                check(C.posix_spawn_file_actions_addchdir_np(actions, workingDir.toString()), "addchdir");
                check(C.posix_spawn_file_actions_addclosefrom_np(actions, 3), "addclosefrom");
                check(C.posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK
                        | POSIX_SPAWN_SETSIGDEF)), "setflags");
                C.sigemptyset(sigset);
                check(C.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
                C.sigfillset(sigset);
                check(C.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
                String[] envp = new String[env.size()];
                int i = 0;
                for (Map.Entry<String, String> e : env.entrySet()) {
                    envp[i++] = e.getKey() + "=" + e.getValue();
                }
                Template t = new Template(program.toString(), actions, attr,
                        stringTable(argv.toArray(new String[0])), stringTable(envp));
                // glibc keeps the file actions' paths in memory of its own: destroy frees it.
                CLEANER.register(t, () -> {
                    C.posix_spawnattr_destroy(attr);
                    C.posix_spawn_file_actions_destroy(actions);
                });
                done = true;
                return t;
            } finally {
                if (!done) {
                    C.posix_spawnattr_destroy(attr);
                }
            }
        } finally {
            if (!done) {
                C.posix_spawn_file_actions_destroy(actions);
            }
        }
    }

    /**
     * {@code strings} as C wants an argv or an environment: a table of pointers ending with a null
     * pointer, each to a NUL-terminated UTF-8 string, all in one native block after the table.
     *
     * <p>Not JNA's {@code StringArray}: it keeps every string in a native allocation of its own,
     * each with four Java objects (its memory, its cleaner's reference, the string kept for it, its
     * entry in JNA's list of allocations). A pool of 500 kept 25,500 of them for its templates,
     * about 10 MB of its heap (bench/analysis.md); this is one allocation per table.
     */
    static Memory stringTable(String[] strings) {
        byte[][] bytes = new byte[strings.length][];
        long table = (long) (strings.length + 1) * Native.POINTER_SIZE;
        long size = table;
        for (int i = 0; i < strings.length; i++) {
            bytes[i] = strings[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            size += bytes[i].length + 1;
        }
        Memory m = new Memory(size);
        long base = Pointer.nativeValue(m);
        long at = table;
        for (int i = 0; i < strings.length; i++) {
            m.write(at, bytes[i], 0, bytes[i].length);
            m.setByte(at + bytes[i].length, (byte) 0);
            m.setPointer((long) i * Native.POINTER_SIZE, new Pointer(base + at));
            at += bytes[i].length + 1;
        }
        m.setPointer((long) strings.length * Native.POINTER_SIZE, null);
        return m;
    }

    /**
     * Starts one process from {@code t}.
     *
     * @return the pid of the new process
     * @throws LaunchException when the process could not be started (errors of the exec itself,
     *     such as a missing interpreter, included: glibc reports them)
     */
    static int spawn(Template t) {
        int[] pid = new int[1];
        int err = C.posix_spawn(pid, t.program, t.actions, t.attr, t.argv, t.envp);
        if (err != 0) {
            throw failure(Path.of(t.program), err);
        }
        return pid[0];
    }

    private static LaunchException failure(Path program, int err) {
        String why = C.strerror(err);
        return switch (err) {
            // ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP: the same again will fail the same way.
            case 2, 13, 8, 20, 40 -> new LaunchException("cannot start " + program + ": " + why
                    + (err == 8 ? " (a script needs a #! line)" : "")
                    + (err == 2 ? " (the program, its interpreter, the working dir or the log dir is missing)" : ""), true);
            default -> new LaunchException("cannot start " + program + ": " + why, false);
        };
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new LaunchException("posix_spawn setup failed in " + what + ": " + C.strerror(rc), false);
        }
    }
}
