package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config watcher sees an edit in place, a file behind a symlink, and a Kubernetes ConfigMap's swap. */
class ConfigWatcherTest {

    @TempDir
    Path dir;

    /** What the file read as at each reload, in order. */
    private final BlockingQueue<String> reloads = new LinkedBlockingQueue<>();
    private ConfigWatcher watcher;

    @AfterEach
    void close() throws IOException {
        if (watcher != null) {
            watcher.close();
        }
    }

    private void watch(Path file) throws IOException {
        watcher = new ConfigWatcher(file, () -> {
            try {
                reloads.add(Files.readString(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private String nextReload() throws InterruptedException {
        String content = reloads.poll(30, TimeUnit.SECONDS);
        return content == null ? "(no reload within 30 s)" : content;
    }

    @Test
    void reloadsWhenTheFileIsEditedInPlace() throws Exception {
        Path file = Files.writeString(dir.resolve("pool.conf"), "procpool.watch-config = true # 1\n");
        watch(file);
        Files.writeString(file, "procpool.watch-config = true # 2\n");
        assertEquals("procpool.watch-config = true # 2\n", nextReload());
    }

    @Test
    void reloadsWhenAConfigMapSwapsItsDataSymlink() throws Exception {
        // The layout the kubelet makes: pool.conf -> ..data/pool.conf, ..data -> ..2026_x.
        Files.createDirectory(dir.resolve("..2026_x"));
        Files.writeString(dir.resolve("..2026_x/pool.conf"), "procpool { } # x\n");
        Files.createSymbolicLink(dir.resolve("..data"), Path.of("..2026_x"));
        Path file = Files.createSymbolicLink(dir.resolve("pool.conf"), Path.of("..data/pool.conf"));
        watch(file);
        // An update: a new directory, a new ..data symlink renamed over the old one, the old directory removed.
        Files.createDirectory(dir.resolve("..2026_y"));
        Files.writeString(dir.resolve("..2026_y/pool.conf"), "procpool { } # y\n");
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..2026_y"));
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        Files.delete(dir.resolve("..2026_x/pool.conf"));
        Files.delete(dir.resolve("..2026_x"));
        assertEquals("procpool { } # y\n", nextReload());
        // And the next update after that one.
        Files.createDirectory(dir.resolve("..2026_z"));
        Files.writeString(dir.resolve("..2026_z/pool.conf"), "procpool { } # z\n");
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..2026_z"));
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals("procpool { } # z\n", nextReload());
    }

    @Test
    void reloadsWhenTheFileASymlinkPointsToInAnotherDirectoryChanges() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path real = Files.writeString(elsewhere.resolve("real.conf"), "procpool { } # 1\n");
        Path conf = Files.createDirectory(dir.resolve("conf"));
        Path file = Files.createSymbolicLink(conf.resolve("pool.conf"), real);
        watch(file);
        Files.writeString(real, "procpool { } # 2\n");
        assertEquals("procpool { } # 2\n", nextReload());
    }

    @Test
    void anEditorsBurstIsOneReloadWithTheLastContent() throws Exception {
        Path file = Files.writeString(dir.resolve("pool.conf"), "# 0\n");
        watch(file);
        // Written elsewhere, then renamed over the file, as editors save; an unrelated file changes too.
        Files.writeString(dir.resolve("notes.txt"), "unrelated\n");
        Files.writeString(dir.resolve(".pool.conf.swp"), "# 1\n");
        Files.move(dir.resolve(".pool.conf.swp"), file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertEquals("# 1\n", nextReload());
    }
}
