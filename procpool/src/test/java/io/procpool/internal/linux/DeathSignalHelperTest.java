package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files procpool takes for procpool-pdeathsig, and what it puts in front of a command. */
class DeathSignalHelperTest {

    @TempDir
    Path dir;

    /** An ELF header (64-bit, little endian) for machine {@code machine}, padded to a small file. */
    private Path elf(String name, int machine, boolean executable) throws Exception {
        byte[] bytes = new byte[64];
        bytes[0] = 0x7f;
        bytes[1] = 'E';
        bytes[2] = 'L';
        bytes[3] = 'F';
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[18] = (byte) machine;
        bytes[19] = (byte) (machine >> 8);
        Path file = Files.write(dir.resolve(name), bytes);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        return file;
    }

    @Test
    void anExecutableForThisArchitectureIsTaken() throws Exception {
        assertEquals(Optional.empty(), DeathSignalHelper.unusable(elf("x86", 62, true), "amd64"));
        assertEquals(Optional.empty(), DeathSignalHelper.unusable(elf("arm", 183, true), "aarch64"));
    }

    @Test
    void anythingElseIsLeftForSetpriv() throws Exception {
        assertEquals(Optional.of("built for another architecture (ELF machine 62, this JVM's aarch64 is 183)"),
                DeathSignalHelper.unusable(elf("x86", 62, true), "aarch64"));
        assertEquals(Optional.of("built for another architecture (ELF machine 62, this JVM's sparcv9 is not one procpool knows)"),
                DeathSignalHelper.unusable(elf("x86", 62, true), "sparcv9"));
        assertEquals(Optional.of("not executable"), DeathSignalHelper.unusable(elf("plain", 62, false), "amd64"));
        Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\nexec \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Optional.of("not an ELF executable"), DeathSignalHelper.unusable(script, "amd64"));
        assertEquals(Optional.of("no such file"), DeathSignalHelper.unusable(dir.resolve("missing"), "amd64"));
        assertEquals(Optional.of("no such file"), DeathSignalHelper.unusable(dir, "amd64"));
    }

    @Test
    void theHelperGoesInFrontWithThisJvmsPidAndSetprivWhereAUserIsSwitched() throws Exception {
        Path helper = elf("procpool-pdeathsig", 62, true);
        Wrapper wrapper = Wrapper.find(false, true, Optional.of(helper));
        assertTrue(wrapper.deathSignal());
        assertEquals(" + procpool-pdeathsig", wrapper.describe());
        assertEquals(List.of(helper.toString(), Long.toString(ProcessHandle.current().pid())),
                wrapper.words(io.procpool.config.RunAs.INHERIT));
        List<String> asNobody = wrapper.words(new io.procpool.config.RunAs(Optional.empty(), Optional.of("65534"),
                java.util.OptionalInt.empty()));
        assertTrue(asNobody.get(0).endsWith("/setpriv"), asNobody.toString());
        assertEquals(List.of("--pdeathsig", "TERM", "--regid=65534", "--clear-groups", "--"), asNobody.subList(1, asNobody.size()));
    }

    @Test
    void withoutTheHelperSetprivSetsTheSignalAndWithoutTheSignalNothingIsInFront() {
        Wrapper setpriv = Wrapper.find(false, true, Optional.empty());
        assertEquals(" + setpriv --pdeathsig", setpriv.describe());
        List<String> words = setpriv.words(io.procpool.config.RunAs.INHERIT);
        assertEquals(List.of("--pdeathsig", "TERM", "--"), words.subList(1, words.size()));

        Wrapper none = Wrapper.find(false, false, Optional.of(dir));
        assertEquals("", none.describe());
        assertEquals(List.of(), none.words(io.procpool.config.RunAs.INHERIT));
    }
}
