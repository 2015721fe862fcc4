package io.procpool.internal.health;

import java.io.IOException;
import java.io.InputStream;

/** Bits of HTTP the tests' scripted servers need. */
final class TestHttp {

    private TestHttp() {
    }

    /** Reads one request head up to its blank line; "" when the connection ends first. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                return head.toString();
            }
        }
        return "";
    }
}
