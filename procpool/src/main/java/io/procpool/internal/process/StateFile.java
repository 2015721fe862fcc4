package io.procpool.internal.process;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The record of every child a manager has running, so that the next manager on the same state
 * dir can find and stop what a killed manager left behind.
 *
 * <p>Two files. {@code procpool.state.json} is a snapshot, written atomically (temp file, then
 * rename: a reader sees the old or the new one, never half of one) a little after changes, so
 * bursts of them cost one write. {@code procpool.state.journal} gets one line per child the
 * moment it is started (one append, no rename), and is emptied by the next snapshot. A child is
 * so on record before its start has returned, whenever the manager is killed. Removals are only
 * in snapshots: a stale entry is harmless, because a recorded child is stopped only if its pid
 * still has the recorded start time.
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

    /**
     * The file's content.
     *
     * @param run the manager's run id, which its children carry in their environment as
     *     {@value OsProcessLauncher#RUN_ENV} (null in files of versions before it)
     */
    public record Content(@JsonProperty("manager_pid") long managerPid,
                          @JsonProperty("run") String run,
                          @JsonProperty("children") List<Entry> children) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;
    private final Path journalFile;
    private java.nio.channels.FileChannel journal;
    /** Serializes snapshot writes (the writer thread's, and the ones at open and close). */
    private final Object snapshotLock = new Object();

    /**
     * Jackson's first use on the state file's records (its serializers and deserializers built):
     * for {@link io.procpool.internal.tuning.Prewarm}, on a thread of its own.
     */
    public static void warm() throws IOException {
        Entry entry = new Entry("warm", 1, 1, Instant.EPOCH.toString(), List.of("warm"));
        JSON.readValue(JSON.writeValueAsBytes(entry), Entry.class);
        JSON.readValue(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Content(1, "warm", List.of(entry))), Content.class);
    }

    public StateFile(Path stateDir) {
        this.file = stateDir.resolve("procpool.state.json");
        this.journalFile = stateDir.resolve("procpool.state.journal");
    }

    public Path path() {
        return file;
    }

    /**
     * Where the journal stands. The caller takes it, under this object's lock, together with the
     * content of the snapshot it is about to {@link #write}: what is appended after the mark is
     * not in that snapshot.
     */
    public synchronized long journalMark() throws IOException {
        return journal == null ? 0 : journal.size();
    }

    /**
     * Replaces the snapshot atomically, then empties the journal if nothing was appended since
     * {@code mark} (otherwise its lines stay: an entry in both is read once). The serialization
     * and the file system calls happen outside the lock {@link #append} takes, so a start never
     * waits for a snapshot.
     */
    public void write(Content content, long mark) throws IOException {
        synchronized (snapshotLock) {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            synchronized (this) {
                if (journal != null) {
                    if (journal.size() == mark) {
                        journal.truncate(0);
                    }
                } else {
                    Files.deleteIfExists(journalFile);
                }
            }
        }
    }

    /** Records a started child at once: one line appended to the journal. */
    public synchronized void append(Entry entry) throws IOException {
        if (journal == null) {
            journal = java.nio.channels.FileChannel.open(journalFile, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND);
        }
        byte[] line = JSON.writeValueAsBytes(entry);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
        while (buf.hasRemaining()) {
            journal.write(buf);
        }
    }

    /** Closes the journal (the files stay). */
    public synchronized void close() {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                // nothing to do
            }
            journal = null;
        }
    }

    /**
     * The run id of the manager that wrote the snapshot; empty when there is none (no file, a file
     * that cannot be read, or one written before run ids).
     */
    public Optional<String> previousRun() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readValue(file.toFile(), Content.class).run());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The recorded children; empty when there is no file.
     *
     * @throws IOException when the file exists but cannot be read or parsed
     */
    public List<Entry> read() throws IOException {
        // The journal first: a write moves entries from the journal into the snapshot (snapshot
        // replaced, then journal emptied), so reading in this order never misses one in transit.
        List<Entry> journaled = new java.util.ArrayList<>();
        if (Files.exists(journalFile)) {
            for (String line : Files.readAllLines(journalFile, java.nio.charset.StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    journaled.add(JSON.readValue(line, Entry.class));
                } catch (IOException torn) {
                    // the last line of a manager killed mid-append: nothing usable in it
                }
            }
        }
        java.util.Map<String, Entry> all = new java.util.LinkedHashMap<>();
        if (Files.exists(file)) {
            Content c = JSON.readValue(file.toFile(), Content.class);
            if (c.children() != null) {
                c.children().forEach(e -> all.put(e.pid() + "@" + e.startTime(), e));
            }
        }
        journaled.forEach(e -> all.putIfAbsent(e.pid() + "@" + e.startTime(), e));
        return List.copyOf(all.values());
    }
}
