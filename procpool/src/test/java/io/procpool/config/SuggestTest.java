package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SuggestTest {

    private static final Set<String> KEYS = PoolConfigLoader.SERVICE_KEYS;

    @Test
    void snakeCaseFindsItsKebabTwin() {
        assertEquals(Optional.of("min-processes"), Suggest.closest("min_processes", KEYS));
    }

    @Test
    void transposedLettersFindTheKey() {
        assertEquals(Optional.of("ports"), Suggest.closest("prots", KEYS));
    }

    @Test
    void distantWordsGetNoSuggestion() {
        assertEquals(Optional.empty(), Suggest.closest("colour", KEYS));
    }
}
