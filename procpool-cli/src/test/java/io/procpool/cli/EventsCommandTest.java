package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How poolctl events reads the stream and words each event. */
class EventsCommandTest {

    @Test
    void theKeepAliveIsNoEventAndFieldsMayComeInEitherOrder() throws Exception {
        List<String> got = new ArrayList<>();
        EventsCommand.SseParser p = new EventsCommand.SseParser((kind, data) -> got.add(kind + " " + data));
        for (String line : List.of("data:", "", "data:{\"a\":1}", "event:transition", "", ": a comment", "event: scaling",
                "data: {\"b\":2}", "", "data:", "")) {
            p.line(line);
        }
        assertEquals(List.of("transition {\"a\":1}", "scaling {\"b\":2}"), got);
    }

    @Test
    void eachKindOfEventIsOneLineWithItsTimeToTheMillisecond() throws Exception {
        assertEquals("2026-12-05T16:47:17.262Z  web:19941  HEALTHY -> STOPPING  pid 4324  rolling restart: restarting in place",
                EventsCommand.describe("transition", Json.read("""
                        {"time":"2026-12-05T16:47:17.262064804Z","service":"web","port":19941,"pid":4324,
                         "from":"HEALTHY","to":"STOPPING","reason":"rolling restart: restarting in place"}""")));
        assertEquals("2026-12-05T16:47:17.000Z  web:19941  STOPPED -> STARTING  starting ./srv",
                EventsCommand.describe("transition", Json.read("""
                        {"time":"2026-12-05T16:47:17Z","service":"web","port":19941,"pid":null,
                         "from":"STOPPED","to":"STARTING","reason":"starting ./srv"}""")));
        assertEquals("2026-12-05T16:47:16.962Z  web  rolling restart: started",
                EventsCommand.describe("operation", Json.read("""
                        {"time":"2026-12-05T16:47:16.962764197Z","service":"web","operation":"rolling restart",
                         "result":"started","message":null}""")));
    }
}
