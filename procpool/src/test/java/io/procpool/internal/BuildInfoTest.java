package io.procpool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class BuildInfoTest {

    @Test
    void theBuildOfTheseClassesKnowsItsVersionCommitAndTime() {
        BuildInfo build = BuildInfo.current();
        // Maven filtered build.properties before the tests ran: no placeholder is left.
        assertTrue(build.version().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), build.version());
        assertTrue(build.commit().matches("[0-9a-f]{10}|unknown"), build.commit());
        assertTrue(build.time().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), build.time());
        assertEquals("procpool " + build.version() + " (commit " + build.commit() + ", built " + build.time() + ")",
                build.describe());
    }

    @Test
    void anUnfilteredOrMissingValueReadsUnknown() {
        Properties unfiltered = new Properties();
        unfiltered.setProperty("version", "${project.version}");
        unfiltered.setProperty("commit", "");
        BuildInfo build = BuildInfo.from(unfiltered);
        assertEquals(new BuildInfo("unknown", "unknown", "unknown"), build);
    }
}
