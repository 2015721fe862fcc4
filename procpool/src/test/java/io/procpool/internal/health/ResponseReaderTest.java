package io.procpool.internal.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the probe reads a response: the verdict at the status line, the end by its framing, a byte at a time too. */
class ResponseReaderTest {

    /** Every event of {@code text}, fed in pieces of {@code piece} bytes. */
    private static List<ResponseReader.Event> events(String text, int piece) {
        ResponseReader r = new ResponseReader();
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        List<ResponseReader.Event> out = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += piece) {
            ByteBuffer in = ByteBuffer.wrap(bytes, off, Math.min(piece, bytes.length - off));
            for (ResponseReader.Event e; (e = r.read(in)) != null; ) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void aResponseWithALengthEndsWhereItsBodyDoes() {
        for (int piece : new int[] {1, 7, 4096}) {
            assertEquals(List.of(new ResponseReader.Status(200), new ResponseReader.Done(true)),
                    events("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", piece), "in pieces of " + piece);
        }
    }

    @Test
    void aChunkedResponseEndsAfterItsLastChunkAndTrailers() {
        assertEquals(List.of(new ResponseReader.Status(503), new ResponseReader.Done(true)),
                events("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", 3));
    }

    @Test
    void connectionCloseAndHttp10AreNotKept() {
        assertEquals(new ResponseReader.Done(false), events("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 64)
                .get(1));
        assertEquals(new ResponseReader.Done(false), events("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 64).get(1));
    }

    @Test
    void aBodyWithoutFramingEndsWithTheStream() {
        ResponseReader r = new ResponseReader();
        ByteBuffer first = ByteBuffer.wrap("HTTP/1.1 200 OK\r\n\r\npartial".getBytes());
        assertEquals(new ResponseReader.Status(200), r.read(first));
        assertNull(r.read(first), "the rest of the first read is body");
        assertNull(r.read(ByteBuffer.wrap("more".getBytes())));
        assertEquals(new ResponseReader.Done(false), r.endOfStream());
    }

    @Test
    void anInterimResponseIsSkippedAndTheVerdictIsTheFinalStatus() {
        assertEquals(List.of(new ResponseReader.Status(204), new ResponseReader.Done(true)),
                events("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 5));
    }

    @Test
    void whatIsNotHttpOrTooLongIsMalformed() {
        assertEquals(List.of(new ResponseReader.Malformed("not an HTTP response")), events("SSH-2.0-OpenSSH\r\n", 64));
        assertEquals(new ResponseReader.Malformed("bad chunk size"),
                events("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 64).get(1));
        String longLine = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(ResponseReader.MAX_LINE) + "\r\n";
        assertEquals(new ResponseReader.Malformed("response line too long"), events(longLine, 1024).get(1));
    }
}
