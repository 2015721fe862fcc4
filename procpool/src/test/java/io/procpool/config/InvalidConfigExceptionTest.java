package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvalidConfigExceptionTest {

    @Test
    void theErrorsAreInTheOrderOfTheirLinesWhateverTheOrderTheyWereFoundIn() {
        InvalidConfigException e = new InvalidConfigException(List.of(
                new ConfigError("pool.conf", 31, "b", "stop.timeout", "second on 31"),
                new ConfigError("pool.conf", 29, "a", "ports", "on 29"),
                new ConfigError("pool.conf", 31, "b", "ports", "found second on 31"),
                new ConfigError("pool.conf", -1, null, null, "no line")));
        assertEquals(List.of("no line", "on 29", "second on 31", "found second on 31"),
                e.errors().stream().map(ConfigError::message).toList());
        assertEquals("pool.conf: no line", e.getMessage().lines().findFirst().orElseThrow());
    }
}
