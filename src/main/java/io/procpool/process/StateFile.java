package io.procpool.process;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;

/**
 * The record of every child a manager has running, in {@code state-dir/procpool.state.json}, so
 * that the next manager on the same state dir can find and stop what a killed manager left
 * behind. Written atomically (temp file, then rename): a reader sees the old or the new file,
 * never half of one.
 */
public final class StateFile {

    /** One child: enough to recognise it (pid AND start time) and to tell a person what it was. */
    public record Entry(@JsonProperty("service") String service,
                        @JsonProperty("port") int port,
                        @JsonProperty("pid") long pid,
                        @JsonProperty("start_time") String startTime,
                        @JsonProperty("command") List<String> command) {

        /** The recorded start time, or null if none was recorded. */
        public Instant startInstant() {
            return startTime == null ? null : Instant.parse(startTime);
        }
    }

    /** The file's content. */
    public record Content(@JsonProperty("manager_pid") long managerPid,
                          @JsonProperty("children") List<Entry> children) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;

    public StateFile(Path stateDir) {
        this.file = stateDir.resolve("procpool.state.json");
    }

    public Path path() {
        return file;
    }

    /** Replaces the file's content atomically. */
    public void write(Content content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The recorded children; empty when there is no file.
     *
     * @throws IOException when the file exists but cannot be read or parsed
     */
    public List<Entry> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        Content c = JSON.readValue(file.toFile(), Content.class);
        return c.children() == null ? List.of() : c.children();
    }
}
