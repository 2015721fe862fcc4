package io.procpool.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command string into words the way a POSIX shell splits words, without ever running a
 * shell: whitespace separates words, single quotes keep everything literal, double quotes keep
 * whitespace and honour the escapes {@code \" \\ \$ \`}, and a backslash outside quotes escapes
 * the next character.
 *
 * <p>What it does NOT do: expand variables, globs or {@code ~}, and interpret operators. An
 * unquoted shell operator ({@code | & ; < > ( ) $( `}) is rejected rather than passed on as a
 * literal word, because a user who writes {@code cmd > out.log} expects redirection and would get
 * an argument named {@code >} instead. Such users are pointed at {@code ["sh", "-c", "..."]}.
 */
public final class CommandLine {

    private static final String OPERATOR_CHARS = "|&;<>()`";

    private CommandLine() {
    }

    /** Thrown for a string that cannot be split; the message says why, for a person. */
    public static final class SyntaxException extends Exception {
        SyntaxException(String message) {
            super(message);
        }
    }

    /**
     * Splits {@code command} into words.
     *
     * @throws SyntaxException on an unterminated quote, a trailing backslash, an unquoted shell
     *     operator, or when there is no word at all
     */
    public static List<String> split(String command) throws SyntaxException {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = command.length();
        while (i < n) {
            char c = command.charAt(i);
            if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new SyntaxException("unterminated single quote at character " + (i + 1));
                }
                word.append(command, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i = readDoubleQuoted(command, i, word);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= n) {
                    throw new SyntaxException("trailing backslash");
                }
                word.append(command.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (OPERATOR_CHARS.indexOf(c) >= 0 || (c == '$' && i + 1 < n && command.charAt(i + 1) == '(')) {
                String op = c == '$' ? "$(" : String.valueOf(c);
                throw new SyntaxException("shell operator '" + op + "' at character " + (i + 1)
                        + ": procpool never runs a shell; quote it to pass it literally, or write "
                        + "command = [\"sh\", \"-c\", \"...\"] to use a shell");
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        if (words.isEmpty()) {
            throw new SyntaxException("the command is empty");
        }
        return List.copyOf(words);
    }

    private static int readDoubleQuoted(String command, int open, StringBuilder word) throws SyntaxException {
        int i = open + 1;
        int n = command.length();
        while (i < n) {
            char c = command.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < n && "\"\\$`".indexOf(command.charAt(i + 1)) >= 0) {
                word.append(command.charAt(i + 1));
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw new SyntaxException("unterminated double quote at character " + (open + 1));
    }

    /** Replaces every {@code {port}} in {@code word} with the instance's port. */
    public static String substitutePort(String word, int port) {
        return word.replace("{port}", Integer.toString(port));
    }

    /** The words of a command for the instance on {@code port}: every {@code {port}} substituted. */
    public static List<String> forPort(List<String> words, int port) {
        return words.stream().map(w -> substitutePort(w, port)).toList();
    }

    /** The variables added for the instance on {@code port}: {@code {port}} substituted, and {@code PORT}. */
    public static java.util.Map<String, String> envForPort(java.util.Map<String, String> env, int port) {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        env.forEach((k, v) -> out.put(k, substitutePort(v, port)));
        out.put("PORT", Integer.toString(port));
        return java.util.Map.copyOf(out);
    }

    /** Renders words back as one string a shell would split into the same words (for logs). */
    public static String render(List<String> words) {
        StringBuilder out = new StringBuilder();
        for (String w : words) {
            if (out.length() > 0) {
                out.append(' ');
            }
            if (!w.isEmpty() && w.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || "-_./=:,+%@{}?".indexOf(ch) >= 0)) {
                out.append(w);
            } else {
                out.append('\'').append(w.replace("'", "'\\''")).append('\'');
            }
        }
        return out.toString();
    }
}
