package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static List<String> split(String s) throws CommandLine.SyntaxException {
        return CommandLine.split(s);
    }

    @Test
    void splitsOnWhitespaceLikeAShell() throws Exception {
        assertEquals(List.of("python3", "./app.py", "--port", "{port}"), split("  python3   ./app.py\t--port {port} "));
    }

    @Test
    void singleQuotesKeepEverythingLiteral() throws Exception {
        assertEquals(List.of("echo", "a  b \\n $HOME"), split("echo 'a  b \\n $HOME'"));
    }

    @Test
    void doubleQuotesHonourTheirFourEscapes() throws Exception {
        assertEquals(List.of("say", "he said \"hi\" \\ $x `y` \\n"), split("say \"he said \\\"hi\\\" \\\\ \\$x \\`y\\` \\n\""));
    }

    @Test
    void adjacentQuotedPartsFormOneWord() throws Exception {
        assertEquals(List.of("--name=a b'c"), split("--name='a b'\"'c\""));
    }

    @Test
    void backslashOutsideQuotesEscapesTheNextCharacter() throws Exception {
        assertEquals(List.of("a b", "c"), split("a\\ b c"));
    }

    @Test
    void emptyQuotedStringIsAnEmptyWord() throws Exception {
        assertEquals(List.of("prog", ""), split("prog ''"));
    }

    @Test
    void unterminatedQuoteIsAnError() {
        var e = assertThrows(CommandLine.SyntaxException.class, () -> split("prog 'oops"));
        assertTrue(e.getMessage().contains("unterminated single quote"), e.getMessage());
        assertThrows(CommandLine.SyntaxException.class, () -> split("prog \"oops"));
    }

    @Test
    void trailingBackslashIsAnError() {
        assertThrows(CommandLine.SyntaxException.class, () -> split("prog \\"));
    }

    @Test
    void unquotedShellOperatorsAreRejectedWithAHint() {
        for (String cmd : List.of("a | b", "a && b", "a; b", "a > out", "a < in", "$(whoami)", "`id`", "a &")) {
            var e = assertThrows(CommandLine.SyntaxException.class, () -> split(cmd), cmd);
            assertTrue(e.getMessage().contains("sh\", \"-c\""), e.getMessage());
        }
    }

    @Test
    void quotedShellOperatorsAreLiteral() throws Exception {
        assertEquals(List.of("grep", "a|b", "x>y"), split("grep 'a|b' \"x>y\""));
    }

    @Test
    void blankCommandIsAnError() {
        assertThrows(CommandLine.SyntaxException.class, () -> split("   "));
    }

    @Test
    void substitutesThePortInEveryOccurrence() {
        assertEquals("--listen=127.0.0.1:8000/{8000}", CommandLine.substitutePort("--listen=127.0.0.1:{port}/{{port}}", 8000));
    }

    @Test
    void renderQuotesWhatAShellWouldSplit() throws Exception {
        List<String> words = List.of("echo", "a b", "it's", "plain");
        assertEquals(words, split(CommandLine.render(words)));
    }
}
