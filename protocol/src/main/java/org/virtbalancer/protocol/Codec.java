package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * JSON codec for {@link Envelope}s. Decoding never throws: bad input becomes a
 * {@link Decoded.Rejected} whose reason names the field and says what is wrong.
 */
public final class Codec {
    /** Larger payloads are rejected before parsing. */
    public static final int MAX_BYTES = 1024 * 1024;
    private static final int MAX_DEPTH = 32;

    private final ObjectMapper mapper;
    private final int maxBytes;

    public Codec() {
        this(MAX_BYTES);
    }

    public Codec(int maxBytes) {
        this.maxBytes = maxBytes;
        JsonMapper m = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .serializationInclusion(JsonInclude.Include.ALWAYS)
                .build();
        // A number or true/false where text belongs is the wrong type, not text: {"host": 0.5} names no host.
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH).maxStringLength(maxBytes).maxNumberLength(100).build());
        this.mapper = m;
    }

    /** Encodes an envelope as UTF-8 JSON. */
    public byte[] encode(Envelope envelope) {
        ObjectNode node = mapper.createObjectNode();
        node.put("v", envelope.v());
        node.put("type", envelope.type().wireName());
        node.put("id", envelope.id());
        node.put("ts", envelope.ts());
        node.put("source", envelope.source());
        if (envelope.epoch() > 0) {
            node.put("epoch", envelope.epoch());
        }
        if (!envelope.sig().isEmpty()) {
            node.put("sig", envelope.sig());
        }
        node.set("body", mapper.valueToTree(envelope.body()));
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String encodeToString(Envelope envelope) {
        return new String(encode(envelope), StandardCharsets.UTF_8);
    }

    /** Any value (records, lists) as JSON, for the CLI and logs. */
    public String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes and validates; never throws. */
    public Decoded decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return new Decoded.Rejected("empty payload: expected a JSON envelope {\"v\":1,\"type\":…,\"body\":{…}}");
        }
        if (bytes.length > maxBytes) {
            return new Decoded.Rejected("payload is " + bytes.length + " bytes; at most " + maxBytes + " are accepted");
        }
        JsonNode root;
        try {
            root = mapper.readTree(bytes);
        } catch (IOException e) {
            return new Decoded.Rejected("not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            return new Decoded.Rejected("expected a JSON object envelope {\"v\":1,\"type\":…,\"body\":{…}}");
        }
        try {
            return new Decoded.Ok(envelope((ObjectNode) root));
        } catch (InvalidMessageException e) {
            return new Decoded.Rejected(e.getMessage());
        }
    }

    public Decoded decode(String json) {
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private Envelope envelope(ObjectNode root) {
        int v = (int) requiredLong(root, "v");
        if (v != Envelope.VERSION) {
            throw new InvalidMessageException("v", "version " + v + " is not supported; this build reads version " + Envelope.VERSION);
        }
        String typeName = requiredText(root, "type");
        MessageType type = MessageType.fromWire(typeName).orElseThrow(() -> new InvalidMessageException("type",
                "unknown message type '" + Check.abbreviate(typeName) + "'; known types: " + MessageType.wireNames()));
        String id = requiredText(root, "id");
        long ts = requiredLong(root, "ts");
        String source = requiredText(root, "source");
        long epoch = root.has("epoch") ? requiredLong(root, "epoch") : 0;
        String sig = root.has("sig") ? requiredText(root, "sig") : "";
        JsonNode body = root.get("body");
        if (body == null || body.isNull()) {
            throw new InvalidMessageException("body", "is required but missing");
        }
        if (!body.isObject()) {
            throw new InvalidMessageException("body", "must be a JSON object");
        }
        Message message = body(type, body);
        return new Envelope(v, id, ts, source, epoch, sig, message);
    }

    private Message body(MessageType type, JsonNode body) {
        try {
            return mapper.treeToValue(body, type.bodyType());
        } catch (ValueInstantiationException e) {
            throw fromInstantiation(e);
        } catch (JsonMappingException e) {
            InvalidMessageException cause = findCause(e);
            if (cause != null) {
                throw cause.under(prefixOf(e, true));
            }
            String missing = missingProperty(e);
            if (missing != null) {
                String at = prefixOf(e, false);
                throw new InvalidMessageException(at.endsWith("." + missing) ? at : at + "." + missing, "is required but missing");
            }
            throw new InvalidMessageException(prefixOf(e, false), describe(e));
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("body", firstLine(e.getOriginalMessage()));
        }
    }

    private static InvalidMessageException fromInstantiation(ValueInstantiationException e) {
        InvalidMessageException cause = findCause(e);
        if (cause != null) {
            return cause.under(prefixOf(e, true));
        }
        return new InvalidMessageException(prefixOf(e, true), firstLine(e.getOriginalMessage()));
    }

    private static InvalidMessageException findCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidMessageException ime) {
                return ime;
            }
        }
        return null;
    }

    /** "body.facts.guests[2]" from Jackson's path; {@code ofContainer} drops the leaf field. */
    private static String prefixOf(JsonMappingException e, boolean ofContainer) {
        var path = e.getPath();
        StringBuilder sb = new StringBuilder("body");
        int end = path.size();
        if (ofContainer && e instanceof ValueInstantiationException) {
            end = path.size(); // the path already ends at the record being built
        }
        for (int i = 0; i < end; i++) {
            var ref = path.get(i);
            if (ref.getFieldName() != null) {
                sb.append('.').append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String missingProperty(JsonMappingException e) {
        String msg = e.getOriginalMessage();
        if (msg != null && msg.contains("Missing required creator property")) {
            int a = msg.indexOf('\'');
            int b = msg.indexOf('\'', a + 1);
            return a >= 0 && b > a ? msg.substring(a + 1, b) : null;
        }
        return null;
    }

    private static String describe(JsonMappingException e) {
        String msg = e.getOriginalMessage();
        if (e instanceof InvalidFormatException ife && ife.getTargetType() != null && ife.getTargetType().isEnum()) {
            return "'" + Check.abbreviate(String.valueOf(ife.getValue())) + "' is not one of "
                    + Arrays.stream(ife.getTargetType().getEnumConstants()).map(String::valueOf)
                    .collect(Collectors.joining(", "));
        }
        if (e instanceof MismatchedInputException mie && mie.getTargetType() != null) {
            return "has the wrong type: expected " + simpleType(mie.getTargetType());
        }
        return firstLine(msg);
    }

    private static String simpleType(Class<?> type) {
        if (type == int.class || type == long.class || type == Integer.class || type == Long.class) {
            return "a whole number";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }

    private static long requiredLong(ObjectNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw new InvalidMessageException(field, "is required but missing");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new InvalidMessageException(field, "must be a whole number, got " + Check.abbreviate(n.toString()));
        }
        return n.asLong();
    }

    private static String requiredText(ObjectNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw new InvalidMessageException(field, "is required but missing");
        }
        if (!n.isTextual()) {
            throw new InvalidMessageException(field, "must be a string, got " + Check.abbreviate(n.toString()));
        }
        if (n.asText().isEmpty()) {
            throw new InvalidMessageException(field, "must not be empty");
        }
        return n.asText();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable input";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The mapper, for callers that need plain JSON (CLI output). */
    public ObjectMapper mapper() {
        return mapper;
    }

    /** Parses with the same limits, for tools that read raw JSON. */
    public JsonNode readTree(String json) throws JsonProcessingException {
        try (JsonParser p = mapper.createParser(json)) {
            return mapper.readTree(p);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
