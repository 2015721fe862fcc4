package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading which signals a process ignores, as /proc/PID/status lists them. */
class SignalsTest {

    private static String status(String sigIgn) {
        return "Name:\tjava\nState:\tS (sleeping)\nSigBlk:\t0000000000000000\nSigIgn:\t" + sigIgn + "\nSigCgt:\t0000000000004a02\n";
    }

    @Test
    void seesSighupInTheIgnoredMask() {
        assertTrue(Signals.ignored(status("0000000000000001"), Signals.SIGHUP), "nohup's mask: HUP alone");
        assertTrue(Signals.ignored(status("0000000000001001"), Signals.SIGHUP));
        assertFalse(Signals.ignored(status("0000000000001000"), Signals.SIGHUP), "SIGPIPE (13) alone");
        assertTrue(Signals.ignored(status("0000000000001000"), 13));
        assertFalse(Signals.ignored("Name:\tjava\n", Signals.SIGHUP), "no mask: nothing known to be ignored");
    }
}
