package io.procpool.internal.linux;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds {@code procpool-pdeathsig} (procpool/src/main/c), the program procpool puts in front of a
 * command to set its parent-death signal instead of {@code setpriv --pdeathsig TERM --}: about
 * 0.01 ms of a start against setpriv's 0.75 ms (the figures are in the C source).
 *
 * <p>Where: the file the system property {@value #PROPERTY} names (an embedding application that
 * ships the program), else {@code procpool-pdeathsig} in the directory that holds procpool's jar
 * (the build puts it beside target/procpool.jar, the distribution archive beside lib/procpool.jar)
 * or its classes directory. Used only when it is an executable ELF file for this machine's
 * architecture: a distribution archive built on x86-64 and unpacked on an ARM machine must fall
 * back to setpriv, not fail every start.
 */
final class DeathSignalHelper {

    static final String PROPERTY = "procpool.death-signal-helper";
    static final String NAME = "procpool-pdeathsig";
    private static final Logger log = LoggerFactory.getLogger(DeathSignalHelper.class);

    private DeathSignalHelper() {
    }

    /** The helper to use here, if any; says why a named one is not used. */
    static Optional<Path> find() {
        String named = System.getProperty(PROPERTY);
        if (named != null && !named.isBlank()) {
            Path path = Path.of(named);
            Optional<String> wrong = unusable(path, System.getProperty("os.arch"));
            if (wrong.isPresent()) {
                log.warn("-D{}={}: {}; setpriv sets the children's parent-death signal instead", PROPERTY, named, wrong.get());
                return Optional.empty();
            }
            return Optional.of(path.toAbsolutePath());
        }
        Optional<Path> beside = besideCode().map(dir -> dir.resolve(NAME));
        if (beside.isEmpty() || !Files.exists(beside.get())) {
            log.debug("no {} beside procpool's code; setpriv sets the children's parent-death signal", NAME);
            return Optional.empty();
        }
        Optional<String> wrong = unusable(beside.get(), System.getProperty("os.arch"));
        if (wrong.isPresent()) {
            log.warn("{}: {}; setpriv sets the children's parent-death signal instead", beside.get(), wrong.get());
            return Optional.empty();
        }
        return Optional.of(beside.get().toAbsolutePath());
    }

    /** The directory that holds the jar or classes directory this class was loaded from. */
    private static Optional<Path> besideCode() {
        CodeSource source = DeathSignalHelper.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(Path.of(source.getLocation().toURI()).getParent());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Why {@code path} cannot be used on a JVM of architecture {@code osArch}, or empty when it can:
     * a regular executable file whose ELF header names that architecture.
     */
    static Optional<String> unusable(Path path, String osArch) {
        if (!Files.isRegularFile(path)) {
            return Optional.of("no such file");
        }
        if (!Files.isExecutable(path)) {
            return Optional.of("not executable");
        }
        byte[] header = new byte[20];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(header, 0, header.length) < header.length) {
                return Optional.of("not an ELF executable");
            }
        } catch (IOException e) {
            return Optional.of("cannot be read: " + e.getMessage());
        }
        if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F') {
            return Optional.of("not an ELF executable");
        }
        // e_machine, two bytes at 18, in the file's byte order (e_ident[5]: 1 little, 2 big endian).
        int machine = header[5] == 2
                ? (header[18] & 0xff) << 8 | header[19] & 0xff
                : (header[19] & 0xff) << 8 | header[18] & 0xff;
        int expected = machine(osArch);
        if (expected != machine) {
            return Optional.of("built for another architecture (ELF machine " + machine + ", this JVM's "
                    + osArch + " is " + (expected < 0 ? "not one procpool knows" : expected) + ")");
        }
        return Optional.empty();
    }

    /** The ELF machine number of a JVM's {@code os.arch}, or -1. */
    static int machine(String osArch) {
        return switch (osArch == null ? "" : osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> 62;
            case "aarch64", "arm64" -> 183;
            case "x86", "i386", "i486", "i586", "i686" -> 3;
            case "arm" -> 40;
            case "ppc64le", "ppc64" -> 21;
            case "s390x" -> 22;
            case "riscv64" -> 243;
            default -> -1;
        };
    }
}
