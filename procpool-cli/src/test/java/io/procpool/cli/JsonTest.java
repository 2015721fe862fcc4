package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** poolctl's streaming reader gives the tree ObjectMapper gives, and refuses what is not one JSON value. */
class JsonTest {

    @Test
    void theTreeIsTheOneObjectMapperReads() throws IOException {
        String text = "{\"services\":{\"search\":{\"state\":\"RUNNING\",\"ready\":true,\"gone\":false,\"note\":null,"
                + "\"load\":0.25,\"big\":123456789012345678901234567890,\"pid\":-42,"
                + "\"instances\":[{\"port\":8000,\"tags\":[]},{\"port\":8001,\"tags\":[\"a\",{\"x\":[1,[2]]}]}]}},"
                + "\"empty\":{},\"text\":\"line\\nwith \\\"quotes\\\" and \\u00e9\"}";
        JsonNode mine = Json.read(text);
        JsonNode theirs = new ObjectMapper().readTree(text);
        assertEquals(theirs.toString(), mine.toString());
        assertEquals(8001, mine.path("services").path("search").path("instances").get(1).path("port").asInt());
        assertEquals(-42L, mine.path("services").path("search").path("pid").asLong());
        assertEquals("line\nwith \"quotes\" and \u00e9", mine.path("text").asText());
        assertEquals("[1]", Json.read("[1]").toString());
        assertEquals("\"x\"", Json.read(" \"x\" ").toString());
    }

    @Test
    void whatIsNotOneJsonValueIsAnError() {
        assertThrows(IOException.class, () -> Json.read(""));
        assertThrows(IOException.class, () -> Json.read("{\"a\":1"));
        assertThrows(IOException.class, () -> Json.read("{\"a\":1} {}"));
        assertThrows(IOException.class, () -> Json.read("<html>502 Bad Gateway</html>"));
        assertThrows(IOException.class, () -> Json.read("[1,]"));
    }
}
