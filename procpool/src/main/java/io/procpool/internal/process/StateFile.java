package io.procpool.internal.process;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
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
    public record Entry(String service, int port, long pid, String startTime, List<String> command) {

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
    public record Content(long managerPid, String run, List<Entry> children) {
    }

    /**
     * Jackson's streaming layer, not its data binding: the two records are written and read field
     * by field. Why: binding them (an {@code ObjectMapper} introspecting the records) cost 80 ms of
     * CPU at its first use against 7 to 10 ms for the same writes and reads streamed (a cold JVM
     * on the class-data archive, bin/procpool's flags), and that first use is on a cold start's
     * way to the first spawn (bench/analysis.md, ninth pass).
     */
    private static final JsonFactory JSON = new JsonFactory();

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
        parseEntry(entryBytes(entry));
        parseContent(contentBytes(new Content(1, "warm", List.of(entry))));
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
            Files.write(tmp, contentBytes(content));
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
        byte[] line = entryBytes(entry);
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
            return Optional.ofNullable(parseContent(Files.readAllBytes(file)).run());
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
                    journaled.add(parseEntry(line.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                } catch (IOException torn) {
                    // the last line of a manager killed mid-append: nothing usable in it
                }
            }
        }
        java.util.Map<String, Entry> all = new java.util.LinkedHashMap<>();
        if (Files.exists(file)) {
            Content c = parseContent(Files.readAllBytes(file));
            if (c.children() != null) {
                c.children().forEach(e -> all.put(e.pid() + "@" + e.startTime(), e));
            }
        }
        journaled.forEach(e -> all.putIfAbsent(e.pid() + "@" + e.startTime(), e));
        return List.copyOf(all.values());
    }

    // The files' JSON: the snapshot {"manager_pid", "run", "children": [entry...]} (pretty-printed,
    // for a person), and a journal line per entry {"service", "port", "pid", "start_time",
    // "command"}. Reading skips names it does not know (a later version's) and tells a value of the
    // wrong kind by the file's line and column.

    static byte[] entryBytes(Entry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeEntry(g, e);
        }
        return out.toByteArray();
    }

    static byte[] contentBytes(Content c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("manager_pid", c.managerPid());
            g.writeStringField("run", c.run());
            writeList(g, "children", c.children(), StateFile::writeEntry);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void writeEntry(JsonGenerator g, Entry e) throws IOException {
        g.writeStartObject();
        g.writeStringField("service", e.service());
        g.writeNumberField("port", e.port());
        g.writeNumberField("pid", e.pid());
        g.writeStringField("start_time", e.startTime());
        writeList(g, "command", e.command(), JsonGenerator::writeString);
        g.writeEndObject();
    }

    private static <T> void writeList(JsonGenerator g, String name, List<T> items, ItemWriter<T> item) throws IOException {
        if (items == null) {
            g.writeNullField(name);
            return;
        }
        g.writeArrayFieldStart(name);
        for (T t : items) {
            item.write(g, t);
        }
        g.writeEndArray();
    }

    @FunctionalInterface
    private interface ItemWriter<T> {
        void write(JsonGenerator g, T item) throws IOException;
    }

    static Entry parseEntry(byte[] json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, "an entry");
            return entry(p);
        }
    }

    static Content parseContent(byte[] json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, "the state");
            long managerPid = 0;
            String run = null;
            List<Entry> children = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "manager_pid" -> managerPid = number(p, value, name);
                    case "run" -> run = text(p, value, name);
                    case "children" -> children = list(p, value, name, item -> {
                        expect(item, item.currentToken(), JsonToken.START_OBJECT, "an entry of \"children\"");
                        return entry(item);
                    });
                    default -> p.skipChildren();
                }
            }
            return new Content(managerPid, run, children);
        }
    }

    /** An entry's fields, the parser on its START_OBJECT; leaves it on the END_OBJECT. */
    private static Entry entry(JsonParser p) throws IOException {
        String service = null;
        String startTime = null;
        long port = 0;
        long pid = 0;
        List<String> command = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "service" -> service = text(p, value, name);
                case "port" -> port = number(p, value, name);
                case "pid" -> pid = number(p, value, name);
                case "start_time" -> startTime = text(p, value, name);
                case "command" -> command = list(p, value, name, item -> text(item, item.currentToken(), name));
                default -> p.skipChildren();
            }
        }
        return new Entry(service, (int) port, pid, startTime, command);
    }

    /** A list: null, or an array whose items {@code item} reads, the parser on each item's first token. */
    private static <T> List<T> list(JsonParser p, JsonToken value, String name, Item<T> item) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p, value, JsonToken.START_ARRAY, "\"" + name + "\"");
        List<T> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            out.add(item.read(p));
        }
        return out;
    }

    @FunctionalInterface
    private interface Item<T> {
        T read(JsonParser p) throws IOException;
    }

    private static String text(JsonParser p, JsonToken value, String name) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (!value.isScalarValue()) {
            throw new JsonParseException(p, "\"" + name + "\" must be a string, not " + value);
        }
        return p.getValueAsString();
    }

    private static long number(JsonParser p, JsonToken value, String name) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (!value.isNumeric()) {
            throw new JsonParseException(p, "\"" + name + "\" must be a number, not " + value);
        }
        return p.getLongValue();
    }

    private static void expect(JsonParser p, JsonToken token, JsonToken wanted, String what) throws IOException {
        if (token != wanted) {
            throw new JsonParseException(p, what + " must be a JSON " + (wanted == JsonToken.START_ARRAY ? "array" : "object")
                    + ", not " + token);
        }
    }
}
