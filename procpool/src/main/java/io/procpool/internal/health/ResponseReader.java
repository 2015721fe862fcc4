package io.procpool.internal.health;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads one HTTP/1.1 response as a probe needs it: the status line (the verdict), then just
 * enough of the head and body to know where the response ends (Content-Length, chunked framing,
 * or the end of the stream) and whether the connection may be kept for the next probe. Bounded:
 * a line over {@link #MAX_LINE} bytes is not HTTP we read, and a body over {@link #MAX_BODY} is
 * abandoned with its connection. Pure: it is fed bytes and says what they mean; one per
 * connection, reused with {@link #reset} for the next response.
 */
final class ResponseReader {

    /** A status, header or chunk-size line longer than this is not HTTP we read. */
    static final int MAX_LINE = 8 * 1024;
    /** A body longer than this is not read to its end: its connection is closed instead. */
    static final long MAX_BODY = 1 << 20;

    /** What the bytes read so far mean. */
    sealed interface Event {
    }

    /** The final status line ({@code code} 200 or above): the probe's verdict. Reading goes on to the response's end. */
    record Status(int code) implements Event {
    }

    /** The response is over; {@code keepAlive}: the connection may carry the next probe. */
    record Done(boolean keepAlive) implements Event {
    }

    /** Not HTTP we read, or a body too long to read on: abandon the connection. */
    record Malformed(String why) implements Event {
    }

    private enum State { STATUS, HEADERS, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, TO_EOF, DONE }

    private State state = State.STATUS;
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private boolean keepAlive;
    private boolean chunked;
    private long contentLength = -1;
    private long remaining;
    private long bodyRead;
    private int status;

    /** Ready for the next response on the same connection. */
    void reset() {
        state = State.STATUS;
        lineLength = 0;
        keepAlive = false;
        chunked = false;
        contentLength = -1;
        remaining = 0;
        bodyRead = 0;
        status = 0;
    }

    /** Reads from {@code in} up to the next event (returned), or to its end (null: more bytes are needed). */
    Event read(ByteBuffer in) {
        while (in.hasRemaining()) {
            Event e = switch (state) {
                case STATUS, HEADERS, CHUNK_SIZE, CHUNK_END, TRAILERS -> lineByte(in.get());
                case BODY, CHUNK_DATA -> body(in);
                case TO_EOF -> {
                    bodyRead += in.remaining();
                    in.position(in.limit());
                    yield bodyRead > MAX_BODY ? new Malformed("body too long") : null;
                }
                case DONE -> new Malformed("bytes after the end of the response");
            };
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** The connection ended: the response's end when it is read to the end of the stream, else null. */
    Event endOfStream() {
        if (state == State.TO_EOF) {
            state = State.DONE;
            return new Done(false);
        }
        return null;
    }

    private Event lineByte(byte b) {
        if (b == '\n') {
            int len = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
            String text = new String(line, 0, len, StandardCharsets.ISO_8859_1);
            lineLength = 0;
            return line(text);
        }
        if (lineLength == MAX_LINE) {
            return new Malformed(state == State.STATUS ? "not an HTTP response" : "response line too long");
        }
        line[lineLength++] = b;
        return null;
    }

    private Event body(ByteBuffer in) {
        int take = (int) Math.min(remaining, in.remaining());
        in.position(in.position() + take);
        remaining -= take;
        bodyRead += take;
        if (bodyRead > MAX_BODY) {
            return new Malformed("body too long");
        }
        if (remaining > 0) {
            return null;
        }
        if (state == State.BODY) {
            state = State.DONE;
            return new Done(keepAlive);
        }
        state = State.CHUNK_END;
        return null;
    }

    private Event line(String text) {
        return switch (state) {
            case STATUS -> status(text);
            case HEADERS -> text.isEmpty() ? endOfHead() : header(text);
            case CHUNK_SIZE -> chunkSize(text);
            case CHUNK_END -> {
                if (!text.isEmpty()) {
                    yield new Malformed("bad chunk end");
                }
                state = State.CHUNK_SIZE;
                yield null;
            }
            case TRAILERS -> {
                if (!text.isEmpty()) {
                    yield null;
                }
                state = State.DONE;
                yield new Done(keepAlive);
            }
            default -> throw new IllegalStateException(state.toString());
        };
    }

    /** "HTTP/1.1 200 OK": the verdict, once it is a final status. */
    private Event status(String text) {
        String[] parts = text.split(" ", 3);
        int code = -1;
        if (parts.length >= 2 && parts[0].startsWith("HTTP/1.") && parts[1].length() == 3) {
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                code = -1;
            }
        }
        if (code < 100) {
            return new Malformed("not an HTTP response");
        }
        status = code;
        state = State.HEADERS;
        if (code < 200) {
            return null; // an interim response (100 Continue): its head is skipped, the real one follows
        }
        keepAlive = parts[0].equals("HTTP/1.1");
        return new Status(code);
    }

    private Event header(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            return new Malformed("bad header");
        }
        String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = text.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        switch (name) {
            case "content-length" -> {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return new Malformed("bad Content-Length");
                }
            }
            case "transfer-encoding" -> chunked = value.contains("chunked");
            case "connection" -> {
                if (value.contains("close")) {
                    keepAlive = false;
                } else if (value.contains("keep-alive")) {
                    keepAlive = true;
                }
            }
            default -> {
                // not needed to frame the response
            }
        }
        return null;
    }

    private Event endOfHead() {
        if (status < 200) {
            state = State.STATUS;
            chunked = false;
            contentLength = -1;
            return null;
        }
        if (status == 204 || status == 304) {
            state = State.DONE;
            return new Done(keepAlive);
        }
        if (chunked) {
            state = State.CHUNK_SIZE;
            return null;
        }
        if (contentLength >= 0) {
            remaining = contentLength;
            state = State.BODY;
            if (remaining == 0) {
                state = State.DONE;
                return new Done(keepAlive);
            }
            return null;
        }
        keepAlive = false;
        state = State.TO_EOF;
        return null;
    }

    private Event chunkSize(String text) {
        int semi = text.indexOf(';');
        String hex = (semi >= 0 ? text.substring(0, semi) : text).trim();
        long size;
        try {
            size = Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            size = -1;
        }
        if (size < 0) {
            return new Malformed("bad chunk size");
        }
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return null;
    }
}
