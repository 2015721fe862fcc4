package io.procpool.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file: a snapshot, and a journal of children started since it was written. */
class StateFileTest {

    @TempDir
    Path dir;

    private static StateFile.Entry entry(long pid, int port) {
        return new StateFile.Entry("svc", port, pid, "2026-11-27T05:00:00.123Z", List.of("srv", Integer.toString(port)));
    }

    @Test
    void aChildIsOnRecordFromTheMomentItIsAppendedAndASnapshotReplacesTheJournal() throws Exception {
        StateFile state = new StateFile(dir);
        assertEquals(List.of(), state.read());
        state.append(entry(101, 8000));
        state.append(entry(102, 8001));
        assertEquals(List.of(entry(101, 8000), entry(102, 8001)), state.read());

        // The snapshot says 101 is gone; 102 stays; the journal is emptied.
        state.write(new StateFile.Content(1, "r1", List.of(entry(102, 8001))), state.journalMark());
        assertEquals(List.of(entry(102, 8001)), state.read());
        state.append(entry(103, 8000));
        assertEquals(List.of(entry(102, 8001), entry(103, 8000)), state.read());
        state.close();
    }

    @Test
    void aChildAppendedWhileASnapshotIsWrittenStaysInTheJournal() throws Exception {
        StateFile state = new StateFile(dir);
        state.append(entry(101, 8000));
        long mark = state.journalMark(); // the snapshot below was taken here, without 102
        state.append(entry(102, 8001));
        state.write(new StateFile.Content(1, "r1", List.of(entry(101, 8000))), mark);
        assertEquals(List.of(entry(101, 8000), entry(102, 8001)), state.read());
        state.close();
    }

    @Test
    void theTornLastLineOfAKilledManagerIsIgnored() throws Exception {
        StateFile state = new StateFile(dir);
        state.append(entry(101, 8000));
        state.close();
        Files.writeString(dir.resolve("procpool.state.journal"), "{\"service\":\"svc\",\"po", StandardOpenOption.APPEND);
        assertEquals(List.of(entry(101, 8000)), new StateFile(dir).read());
    }

    @Test
    void aChildInBothTheSnapshotAndTheJournalIsListedOnce() throws Exception {
        StateFile state = new StateFile(dir);
        state.write(new StateFile.Content(1, "r1", List.of(entry(101, 8000))), state.journalMark());
        state.append(entry(101, 8000));
        assertEquals(List.of(entry(101, 8000)), state.read());
        state.close();
    }

    @Test
    void theRunIdOfTheManagerThatWroteTheSnapshotIsReadBack() throws Exception {
        StateFile state = new StateFile(dir);
        assertEquals(Optional.empty(), state.previousRun(), "no file yet");
        state.write(new StateFile.Content(1, "8f3a0c", List.of(entry(101, 8000))), state.journalMark());
        assertEquals(Optional.of("8f3a0c"), new StateFile(dir).previousRun());
        state.close();
    }

    @Test
    void aSnapshotOfAnEarlierVersionHasNoRunId() throws Exception {
        Files.writeString(dir.resolve("procpool.state.json"), "{\"manager_pid\": 7, \"children\": []}");
        assertEquals(Optional.empty(), new StateFile(dir).previousRun());
        Files.writeString(dir.resolve("procpool.state.json"), "{\"manager_pid\": 7, \"chil");
        assertEquals(Optional.empty(), new StateFile(dir).previousRun(), "a torn file");
    }

    @Test
    void aSnapshotAndAJournalAsTheLastVersionWroteThemAreReadWhatALaterVersionAddsIsSkipped() throws Exception {
        // The layout the snapshot has had since the first version (pretty-printed), with a field
        // and a nested object that a later version might add.
        Files.writeString(dir.resolve("procpool.state.json"), """
                {
                  "manager_pid" : 41,
                  "host" : { "name" : "a", "ports" : [ 1 ] },
                  "run" : "8f3a0c",
                  "children" : [ {
                    "service" : "svc",
                    "port" : 8000,
                    "pid" : 101,
                    "start_time" : "2026-11-27T05:00:00.123Z",
                    "command" : [ "srv", "8000" ],
                    "cgroup" : { "path" : "/procpool/svc" }
                  } ]
                }
                """);
        Files.writeString(dir.resolve("procpool.state.journal"),
                "{\"service\":\"svc\",\"port\":8001,\"pid\":102,\"start_time\":\"2026-11-27T05:00:00.123Z\",\"command\":[\"srv\",\"8001\"],\"weight\":[1,2]}\n");
        StateFile state = new StateFile(dir);
        assertEquals(List.of(entry(101, 8000), entry(102, 8001)), state.read());
        assertEquals(Optional.of("8f3a0c"), state.previousRun());
    }

    @Test
    void whatIsWrittenReadsBackTheSameNullsIncluded() throws Exception {
        StateFile.Entry bare = new StateFile.Entry("svc", 8000, 101, null, null);
        StateFile state = new StateFile(dir);
        state.write(new StateFile.Content(41, null, List.of(entry(102, 8001), bare)), state.journalMark());
        assertEquals(List.of(entry(102, 8001), bare), state.read());
        assertEquals(Optional.empty(), state.previousRun());
        StateFile.Entry bareToo = new StateFile.Entry("svc", 8002, 103, null, null);
        state.append(bareToo);
        assertEquals(List.of(entry(102, 8001), bare, bareToo), state.read());
        state.close();
    }

    @Test
    void aValueOfTheWrongKindIsAnErrorThatSaysWhichAndWhere() throws Exception {
        Files.writeString(dir.resolve("procpool.state.json"), "{\"manager_pid\": 7,\n \"children\": [ {\"port\": \"eight\"} ]}");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> new StateFile(dir).read());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("\"eight\"") && e.getMessage().contains("[\"port\"]")
                && e.getMessage().contains("line: 2"), e.getMessage());
    }
}
