package io.procpool.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * poolctl's reading of the admin API's JSON: Jackson's streaming parser, into Jackson's tree.
 *
 * <p>Not {@code ObjectMapper.readTree}: building an ObjectMapper (its type factory, serializer and
 * deserializer caches, introspection) for one small answer took 85 to 95 ms of a 0.4 s {@code
 * poolctl status}, against 16 ms for the same answer through the streaming parser (cold JVM with
 * the class-data archive, docs/benchmarks.md "poolctl"). The tree is the same {@link JsonNode}.
 */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /** The JSON document {@code text} as a tree; an IOException names what is not JSON. */
    static JsonNode read(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new IOException("an empty answer where JSON was expected");
            }
            JsonNode node = value(p, first);
            if (p.nextToken() != null) {
                throw new IOException("more than one JSON value in the answer, at " + p.currentLocation());
            }
            return node;
        }
    }

    /** An empty object to fill. */
    static ObjectNode object() {
        return NODES.objectNode();
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT:
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, value(p, p.nextToken()));
                }
                return o;
            case START_ARRAY:
                ArrayNode a = NODES.arrayNode();
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
                    a.add(value(p, v));
                }
                return a;
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? NODES.numberNode(p.getBigIntegerValue())
                        : NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new IOException("unexpected " + t + " at " + p.currentLocation());
        }
    }
}
