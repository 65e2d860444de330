package rmqrs.compat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The shape of a JSON body: which keys an object has and which JSON type each value is, merged
 * over the elements of arrays and the values of maps, so that two answers with different data
 * can be compared field by field.
 *
 * <p>{@link #parse} reads fastjson's lenient JSON too: object keys that are bare numbers or whole
 * objects (MessageQueue keys) are kept as their raw text. Independent of fastjson on purpose: the
 * comparison must not be done by the code under comparison.
 *
 * <p>Paths name fields with dots; {@code x[]} is the elements of array {@code x}, {@code x.*} the
 * values of map {@code x}. Which objects are maps (keys are data, not field names) is told by the
 * caller as a set of such paths.
 */
public final class FieldShape {
    /** JSON types seen here: object, array, string, number, boolean, null. */
    final Set<String> types = new TreeSet<>();
    /** Fields of an object (not of a map). */
    final Map<String, FieldShape> fields = new LinkedHashMap<>();
    /** Merged shape of the elements of an array or the values of a map (null: none seen). */
    FieldShape elem;

    private FieldShape() {
    }

    /** Shape of a parsed value; {@code mapPaths} names the objects that are maps. */
    public static FieldShape of(Object v, Set<String> mapPaths) {
        return of(v, "", mapPaths);
    }

    private static FieldShape of(Object v, String path, Set<String> mapPaths) {
        FieldShape s = new FieldShape();
        if (v == null) {
            s.types.add("null");
        } else if (v instanceof Map<?, ?> m) {
            boolean isMap = mapPaths.contains(path);
            s.types.add(isMap ? "object(map)" : "object");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (isMap) {
                    s.elem = merge(s.elem, of(e.getValue(), join(path, "*"), mapPaths));
                } else {
                    String k = String.valueOf(e.getKey());
                    s.fields.merge(k, of(e.getValue(), join(path, k), mapPaths), FieldShape::merge);
                }
            }
        } else if (v instanceof List<?> l) {
            s.types.add("array");
            for (Object x : l) {
                s.elem = merge(s.elem, of(x, path + "[]", mapPaths));
            }
        } else if (v instanceof String) {
            s.types.add("string");
        } else if (v instanceof Boolean) {
            s.types.add("boolean");
        } else {
            s.types.add("number");
        }
        return s;
    }

    static String join(String path, String k) {
        return path.isEmpty() ? k : path + "." + k;
    }

    /** Union of two shapes (either may be null). */
    static FieldShape merge(FieldShape a, FieldShape b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        FieldShape s = new FieldShape();
        s.types.addAll(a.types);
        s.types.addAll(b.types);
        a.fields.forEach((k, v) -> s.fields.merge(k, v, FieldShape::merge));
        b.fields.forEach((k, v) -> s.fields.merge(k, v, FieldShape::merge));
        s.elem = merge(a.elem, b.elem);
        return s;
    }

    /**
     * Every key of {@code official} must be in {@code ours} with the same JSON type (a null on
     * either side matches anything). Appends one line per problem to {@code problems}; paths in
     * {@code allowed} (exact, or a prefix ending in {@code .**}) may be absent.
     */
    public static void compare(FieldShape official, FieldShape ours, String path, Set<String> allowed,
                               List<String> problems) {
        Set<String> offTypes = new TreeSet<>(official.types);
        offTypes.remove("null");
        Set<String> ourTypes = new TreeSet<>(ours.types);
        ourTypes.remove("null");
        if (!offTypes.isEmpty() && !ourTypes.isEmpty() && !ourTypes.equals(offTypes)) {
            problems.add("type " + (path.isEmpty() ? "<body>" : path) + ": official " + offTypes + ", ours " + ourTypes);
            return;
        }
        for (Map.Entry<String, FieldShape> e : official.fields.entrySet()) {
            String p = join(path, e.getKey());
            FieldShape mine = ours.fields.get(e.getKey());
            if (mine == null) {
                if (!isAllowed(p, allowed)) {
                    problems.add("missing " + p + " (" + String.join("|", e.getValue().types) + ")");
                }
            } else {
                compare(e.getValue(), mine, p, allowed, problems);
            }
        }
        if (official.elem != null) {
            String p = official.types.contains("array") ? path + "[]" : join(path, "*");
            if (ours.elem == null) {
                if (!isAllowed(p, allowed)) {
                    problems.add("empty " + (path.isEmpty() ? "<body>" : path)
                        + " in ours: official has entries, so their fields cannot be compared");
                }
            } else {
                compare(official.elem, ours.elem, p, allowed, problems);
            }
        }
    }

    static boolean isAllowed(String path, Set<String> allowed) {
        if (allowed.contains(path)) {
            return true;
        }
        for (String a : allowed) {
            if (a.endsWith(".**") && (path + ".").startsWith(a.substring(0, a.length() - 2))) {
                return true;
            }
        }
        return false;
    }

    /** Paths present in ours and not in official (informational). */
    public static void extras(FieldShape official, FieldShape ours, String path, List<String> out) {
        for (Map.Entry<String, FieldShape> e : ours.fields.entrySet()) {
            FieldShape off = official.fields.get(e.getKey());
            String p = join(path, e.getKey());
            if (off == null) {
                out.add(p);
            } else {
                extras(off, e.getValue(), p, out);
            }
        }
        if (official.elem != null && ours.elem != null) {
            String p = official.types.contains("array") ? path + "[]" : join(path, "*");
            extras(official.elem, ours.elem, p, out);
        }
    }

    // ------------------------------------------------------------------------- lenient parser

    /** Parses JSON as fastjson writes it; objects are {@code LinkedHashMap<String, Object>}. */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.pos != text.length()) {
            throw new IllegalArgumentException("trailing characters at " + p.pos);
        }
        return v;
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        void ws() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        IllegalArgumentException error(String what) {
            int from = Math.max(0, pos - 20);
            return new IllegalArgumentException(what + " at " + pos + " near '"
                + s.substring(from, Math.min(s.length(), pos + 20)) + "'");
        }

        Object value() {
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return word("true", Boolean.TRUE);
                case 'f':
                    return word("false", Boolean.FALSE);
                case 'n':
                    return word("null", null);
                default:
                    return number();
            }
        }

        Object word(String w, Object v) {
            if (!s.startsWith(w, pos)) {
                throw error("bad literal");
            }
            pos += w.length();
            return v;
        }

        Object number() {
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            if (start == pos) {
                throw error("unexpected character");
            }
            return Double.valueOf(s.substring(start, pos));
        }

        String string() {
            StringBuilder sb = new StringBuilder();
            pos++;
            while (pos < s.length() && s.charAt(pos) != '"') {
                char c = s.charAt(pos++);
                if (c == '\\' && pos < s.length()) {
                    char e = s.charAt(pos++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                            pos += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
            if (pos >= s.length()) {
                throw error("unterminated string");
            }
            pos++;
            return sb.toString();
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            ws();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return m;
            }
            while (true) {
                ws();
                String key;
                if (pos < s.length() && s.charAt(pos) == '"') {
                    key = string();
                } else {
                    // fastjson: a bare number or a whole object as the key; keep its raw text.
                    int start = pos;
                    value();
                    key = s.substring(start, pos);
                }
                ws();
                if (pos >= s.length() || s.charAt(pos) != ':') {
                    throw error("expected ':'");
                }
                pos++;
                ws();
                m.put(key, value());
                ws();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return m;
                }
                throw error("expected ',' or '}'");
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            pos++;
            ws();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return l;
            }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    return l;
                }
                throw error("expected ',' or ']'");
            }
        }
    }
}
