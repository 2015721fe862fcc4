package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Configuration files written into a test's directory, loaded, and their errors as a user sees them. */
final class ConfigFiles {
    private final Path dir;

    ConfigFiles(Path dir) {
        this.dir = dir;
    }

    Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    PoolSettings load(String name, String text) throws Exception {
        return PoolConfigLoader.loadFile(write(name, text), dir);
    }

    List<ConfigError> errors(String name, String text) throws IOException {
        Path file = write(name, text);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PoolConfigLoader.loadFile(file, dir));
        return e.errors();
    }

    /** The error as printed, with the file named relative to the test's directory. */
    String shown(ConfigError e) {
        return e.render().replace(dir.toString() + "/", "");
    }

    static ConfigError only(List<ConfigError> errors) {
        assertEquals(1, errors.size(), errors.toString());
        return errors.get(0);
    }
}
