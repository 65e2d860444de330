package rmqrs.compat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.protocol.LanguageCode;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

/**
 * Wire interop between the official {@code RemotingCommand} and our Rust codec.
 *
 * <ul>
 *   <li>{@code gen <dir>}: encodes requests and responses with the official class exactly as
 *       {@code NettyEncoder} puts them on the wire ({@code fastEncodeHeader} + body, so the frame
 *       starts with the 4-byte total length) into {@code <dir>/java/NN-name.frame}, with the
 *       expected decoded values in {@code <dir>/java/NN-name.expect.json}.</li>
 *   <li>{@code check <dir>}: decodes every {@code <dir>/rust/NN-name.frame} with the official
 *       {@code RemotingCommand.decode(ByteBuffer)} (after stripping the length, as the Netty frame
 *       decoder does) and compares it with {@code NN-name.expect.json}. An optional
 *       {@code "javaHeader"} names a header class that must decode with every {@code @CFNotNull}
 *       field present. Prints {@code PASS name} / {@code FAIL name: reason}; exit 1 on failure.</li>
 * </ul>
 *
 * <p>Expectation schema: {@code {"code":int,"language":"JAVA","version":int,"opaque":int,
 * "flag":int,"remark":null|string,"extFields":null|{string:string},"bodyHex":string,
 * "serializeType":"JSON"|"ROCKETMQ"[,"javaHeader":class]}}. {@code extFields} null means the
 * receiver sees no map at all (Java {@code getExtFields() == null}); an absent body is {@code ""}.
 */
public final class RemotingInterop {
    /** Version ordinal of 4.9.8 ({@code MQVersion.Version.V4_9_8}). */
    static final int V4_9_8 = 409;
    /** Version ordinal of 5.3.3. */
    static final int V5_3_3 = 479;

    /** One generated command: a fresh instance per call (encoding mutates extFields). */
    record Case(String name, Supplier<RemotingCommand> make, boolean rocketmqToo) {
    }

    private RemotingInterop() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[0].equals("gen") || args[0].equals("check"))) {
            System.err.println("usage: RemotingInterop gen|check <dir>");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        int failures = args[0].equals("gen") ? gen(dir.resolve("java")) : check(dir.resolve("rust"));
        System.exit(failures == 0 ? 0 : 1);
    }

    // ---------------------------------------------------------------------------------- gen

    /** Writes the Java frames and expectations into {@code out}; returns the number of failures. */
    public static int gen(Path out) throws IOException {
        Files.createDirectories(out);
        int n = 0;
        int failures = 0;
        for (Case c : cases()) {
            List<SerializeType> types = c.rocketmqToo()
                ? List.of(SerializeType.JSON, SerializeType.ROCKETMQ) : List.of(SerializeType.JSON);
            for (SerializeType ser : types) {
                n++;
                String name = String.format("%02d-%s-%s", n, c.name(), ser == SerializeType.JSON ? "json" : "rocketmq");
                try {
                    RemotingCommand cmd = c.make().get();
                    cmd.setSerializeTypeCurrentRPC(ser);
                    byte[] frame = encodeFrame(cmd);

                    // What we meant to send: a fresh instance with the header copied to extFields.
                    RemotingCommand intended = c.make().get();
                    intended.setSerializeTypeCurrentRPC(ser);
                    intended.makeCustomHeaderToNet();
                    // What the official decoder reads back: the expectation for our Rust decoder.
                    RemotingCommand decoded = decodeFrame(frame);
                    Map<String, Object> expect = expectOf(decoded);
                    List<String> selfCheck = diff(normalizeNullExt(expectOf(intended)), normalizeNullExt(expect));
                    if (!selfCheck.isEmpty()) {
                        throw new IllegalStateException("Java round trip differs from intent: " + selfCheck);
                    }
                    Files.write(out.resolve(name + ".frame"), frame);
                    Files.writeString(out.resolve(name + ".expect.json"), MiniJson.write(expect) + "\n",
                        StandardCharsets.UTF_8);
                    System.out.printf("GEN  %s (%d bytes)%n", name, frame.length);
                } catch (Exception e) {
                    failures++;
                    System.out.printf("FAIL %s: %s%n", name, e);
                }
            }
        }
        return failures;
    }

    /** The generated commands. Opaques are distinct so a mix-up shows. */
    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();

        // SEND_MESSAGE_V2 with every field of SendMessageRequestHeaderV2 (a fast-codec header).
        cases.add(new Case("send-v2", () -> {
            CommandCustomHeader h = RmqClasses.newHeader("SendMessageRequestHeaderV2",
                "a", "compat_producer_group",
                "b", "CompatTopic",
                "c", "TBW102",
                "d", "4",
                "e", "3",
                "f", "0",
                "g", "1700000000123",
                "h", "0",
                "i", "KEYS\u0001key-1 key-2\u0002TAGS\u0001TagA\u0002UNIQ_KEY\u00017F0000010001ABCDEF0123456789AB"
                    + "\u0002WAIT\u0001true\u0002userProp\u0001värde 中文 🚀\u0002",
                "j", "2",
                "k", "true",
                "l", "16",
                "m", "false",
                "n", "broker-a");
            RemotingCommand cmd = RemotingCommand.createRequestCommand(310, h);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(101);
            cmd.setBody("Hello RocketMQ ✓ 你好".getBytes(StandardCharsets.UTF_8));
            return cmd;
        }, true));

        // PULL_MESSAGE with every 4.9.8 field of PullMessageRequestHeader (a fast-codec header).
        cases.add(new Case("pull", () -> {
            CommandCustomHeader h = RmqClasses.newHeader("PullMessageRequestHeader",
                "consumerGroup", "compat_consumer_group",
                "topic", "CompatTopic",
                "queueId", "2",
                "queueOffset", "1234567890123",
                "maxMsgNums", "32",
                "sysFlag", "7",
                "commitOffset", "1234567890000",
                "suspendTimeoutMillis", "15000",
                "subscription", "TagA || TagB",
                "subVersion", "1700000000456",
                "expressionType", "TAG",
                "bname", "broker-a");
            RemotingCommand cmd = RemotingCommand.createRequestCommand(11, h);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(102);
            return cmd;
        }, true));

        // HEART_BEAT: no custom header, JSON body.
        cases.add(new Case("heartbeat-body", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(34, null);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(103);
            cmd.setBody(("{\"clientID\":\"127.0.0.1@4242#1700000000\",\"consumerDataSet\":[],"
                + "\"producerDataSet\":[{\"groupName\":\"生产者组\"}]}").getBytes(StandardCharsets.UTF_8));
            return cmd;
        }, true));

        // An error response with a remark needing JSON escapes and non-ASCII text.
        cases.add(new Case("error-response", () -> {
            RemotingCommand cmd = RemotingCommand.createResponseCommand(1,
                "系统错误: système occupé ✓ \"quoted\" back\\slash\nsecond line\ttab");
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(104);
            return cmd;
        }, true));

        // UPDATE_CONSUMER_OFFSET, one-way, extFields added directly.
        cases.add(new Case("oneway", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(15, null);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(105);
            cmd.addExtField("consumerGroup", "compat_consumer_group");
            cmd.addExtField("topic", "CompatTopic");
            cmd.addExtField("queueId", "1");
            cmd.addExtField("commitOffset", "77");
            cmd.markOnewayRPC();
            return cmd;
        }, true));

        // GET_ROUTEINFO_BY_TOPIC from a "GO" sender: non-ASCII topic, escapes and control chars.
        cases.add(new Case("ext-unicode", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(105, null);
            cmd.setLanguage(LanguageCode.GO);
            cmd.setVersion(317);
            cmd.setOpaque(106);
            cmd.setRemark("remark ünïcödé 🚀 中文");
            cmd.addExtField("topic", "主题-тема-🚀");
            cmd.addExtField("weird", "quote\" backslash\\ tab\t nl\n cr\r ctrl\u0001\u0002\u001f end");
            cmd.addExtField("ключ", "значение");
            return cmd;
        }, true));

        // GET_MAX_OFFSET with an explicitly empty body (nothing on the wire).
        cases.add(new Case("empty-body", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(30, null);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(107);
            cmd.addExtField("topic", "CompatTopic");
            cmd.addExtField("queueId", "0");
            cmd.setBody(new byte[0]);
            return cmd;
        }, true));

        // SEND_BATCH_MESSAGE with a 64 KiB binary body.
        cases.add(new Case("body-64k", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(320, null);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(108);
            cmd.addExtField("b", "CompatTopic");
            byte[] body = new byte[64 * 1024];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 31 + 7);
            }
            cmd.setBody(body);
            return cmd;
        }, true));

        // A broker-style send response: SendMessageResponseHeader + MSG_REGION/TRACE_ON.
        cases.add(new Case("send-response", () -> {
            RemotingCommand cmd = RemotingCommand.createResponseCommand(0, null);
            cmd.writeCustomHeader(RmqClasses.newHeader("SendMessageResponseHeader",
                "msgId", "7F00000100002A9F0000000000001234",
                "queueId", "3",
                "queueOffset", "42",
                "transactionId", "7F0000010001ABCDEF0123456789AB"));
            cmd.addExtField("MSG_REGION", "DefaultRegion");
            cmd.addExtField("TRACE_ON", "true");
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(109);
            return cmd;
        }, true));

        // A broker-style pull response: PullMessageResponseHeader, remark FOUND, binary body.
        cases.add(new Case("pull-response", () -> {
            RemotingCommand cmd = RemotingCommand.createResponseCommand(0, "FOUND");
            cmd.writeCustomHeader(RmqClasses.newHeader("PullMessageResponseHeader",
                "suggestWhichBrokerId", "0",
                "nextBeginOffset", "100",
                "minOffset", "0",
                "maxOffset", "9223372036854775807"));
            byte[] body = new byte[256];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) i;
            }
            cmd.setBody(body);
            cmd.setVersion(V4_9_8);
            cmd.setOpaque(110);
            return cmd;
        }, true));

        // Integer limits: largest int16 code and version, negative opaque, language RUST.
        cases.add(new Case("limits", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(32767, null);
            cmd.setLanguage(LanguageCode.RUST);
            cmd.setVersion(32767);
            cmd.setOpaque(Integer.MIN_VALUE);
            cmd.setFlag(0);
            return cmd;
        }, true));

        // A 5.x POP code above int16: representable in JSON only.
        cases.add(new Case("pop-code", () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(200050, null);
            cmd.setVersion(V5_3_3);
            cmd.setOpaque(Integer.MAX_VALUE);
            cmd.addExtField("consumerGroup", "compat_pop_group");
            return cmd;
        }, false));

        return cases;
    }

    /** The frame exactly as NettyEncoder writes it: fastEncodeHeader, then the body. */
    static byte[] encodeFrame(RemotingCommand cmd) {
        ByteBuf buf = Unpooled.buffer();
        try {
            cmd.fastEncodeHeader(buf);
            if (cmd.getBody() != null) {
                buf.writeBytes(cmd.getBody());
            }
            byte[] frame = new byte[buf.readableBytes()];
            buf.readBytes(frame);
            return frame;
        } finally {
            buf.release();
        }
    }

    /** Decodes a whole frame as the Netty pipeline does: check and strip the length, then decode. */
    static RemotingCommand decodeFrame(byte[] frame) throws Exception {
        if (frame.length < 4) {
            throw new IllegalArgumentException("frame shorter than its length field");
        }
        int length = ByteBuffer.wrap(frame, 0, 4).getInt();
        if (length != frame.length - 4) {
            throw new IllegalArgumentException("length field " + length + " but " + (frame.length - 4)
                + " bytes follow it");
        }
        return RemotingCommand.decode(ByteBuffer.wrap(frame, 4, length).slice());
    }

    /** A command's observable values in the expectation schema (extFields sorted for reading). */
    static Map<String, Object> expectOf(RemotingCommand cmd) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", (long) cmd.getCode());
        m.put("language", cmd.getLanguage() == null ? null : cmd.getLanguage().name());
        m.put("version", (long) cmd.getVersion());
        m.put("opaque", (long) cmd.getOpaque());
        m.put("flag", (long) cmd.getFlag());
        m.put("remark", cmd.getRemark());
        m.put("extFields", cmd.getExtFields() == null ? null : new TreeMap<>(cmd.getExtFields()));
        m.put("bodyHex", hex(cmd.getBody()));
        m.put("serializeType", cmd.getSerializeTypeCurrentRPC() == null ? null
            : cmd.getSerializeTypeCurrentRPC().name());
        return m;
    }

    private static Map<String, Object> normalizeNullExt(Map<String, Object> m) {
        Map<String, Object> copy = new LinkedHashMap<>(m);
        if (copy.get("extFields") == null) {
            copy.put("extFields", new TreeMap<String, String>());
        }
        return copy;
    }

    /** Differences between an expectation and an actual command view ("field: expected X, got Y"). */
    static List<String> diff(Map<String, Object> expect, Map<String, Object> actual) {
        List<String> out = new ArrayList<>();
        for (String key : List.of("code", "language", "version", "opaque", "flag", "remark", "extFields",
            "bodyHex", "serializeType")) {
            if (!expect.containsKey(key)) {
                out.add(key + ": missing from the expectation");
                continue;
            }
            Object e = expect.get(key);
            Object a = actual.get(key);
            if (key.equals("extFields")) {
                if (!Objects.equals(e == null ? null : new TreeMap<>((Map<?, ?>) e), a)) {
                    out.add("extFields: expected " + describeMap(e) + ", got " + describeMap(a));
                }
            } else if (key.equals("bodyHex")) {
                String es = String.valueOf(e).toLowerCase();
                if (!es.equals(a)) {
                    out.add("body: expected " + es.length() / 2 + " bytes " + abbreviate(es) + ", got "
                        + String.valueOf(a).length() / 2 + " bytes " + abbreviate(String.valueOf(a)));
                }
            } else if (!Objects.equals(e, a)) {
                out.add(key + ": expected " + quote(e) + ", got " + quote(a));
            }
        }
        return out;
    }

    private static String describeMap(Object m) {
        return m == null ? "null (no map)" : MiniJson.write(m);
    }

    private static String quote(Object o) {
        return o instanceof String s ? MiniJson.write(s) : String.valueOf(o);
    }

    private static String abbreviate(String hex) {
        return hex.length() <= 64 ? hex : hex.substring(0, 64) + "...";
    }

    static String hex(byte[] b) {
        if (b == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    // -------------------------------------------------------------------------------- check

    /** Checks every frame in {@code dir} against its expectation; returns the number of failures. */
    public static int check(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            System.out.printf("FAIL %s: no such directory%n", dir);
            return 1;
        }
        List<Path> frames;
        try (Stream<Path> s = Files.list(dir)) {
            frames = s.filter(p -> p.getFileName().toString().endsWith(".frame")).sorted().collect(Collectors.toList());
        }
        if (frames.isEmpty()) {
            System.out.printf("FAIL %s: no .frame files%n", dir);
            return 1;
        }
        int passed = 0;
        int failed = 0;
        for (Path frame : frames) {
            String file = frame.getFileName().toString();
            String name = file.substring(0, file.length() - ".frame".length());
            List<String> problems = checkOne(frame, dir.resolve(name + ".expect.json"));
            if (problems.isEmpty()) {
                passed++;
                System.out.println("PASS " + name);
            } else {
                failed++;
                System.out.println("FAIL " + name + ": " + String.join("; ", problems));
            }
        }
        System.out.printf("java check of %s: %d passed, %d failed%n", dir.getFileName(), passed, failed);
        return failed;
    }

    @SuppressWarnings("unchecked")
    private static List<String> checkOne(Path framePath, Path expectPath) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> expect;
        RemotingCommand cmd;
        try {
            expect = (Map<String, Object>) MiniJson.parse(Files.readString(expectPath, StandardCharsets.UTF_8));
        } catch (Exception e) {
            return List.of("cannot read " + expectPath.getFileName() + ": " + e);
        }
        try {
            cmd = decodeFrame(Files.readAllBytes(framePath));
        } catch (Exception e) {
            return List.of("official decode failed: " + e);
        }
        problems.addAll(diff(expect, expectOf(cmd)));
        Object header = expect.get("javaHeader");
        if (header != null) {
            problems.addAll(checkHeader(cmd, String.valueOf(header)));
        }
        return problems;
    }

    /**
     * Decodes the custom header both ways the official code can: the lenient path clients use
     * ({@code decodeCommandCustomHeader(cls)}, fast codec for FastCodesHeader classes) and the
     * strict reflective one (throws on a missing {@code @CFNotNull} field). Then requires every
     * required field non-null and every decoded field equal to its extFields text.
     */
    static List<String> checkHeader(RemotingCommand cmd, String className) {
        List<String> problems = new ArrayList<>();
        Class<? extends CommandCustomHeader> cls;
        try {
            cls = RmqClasses.headerClass(className);
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
        if (cmd.getExtFields() == null) {
            problems.add(cls.getSimpleName() + ": no extFields at all (Java clients dereference them)");
        }
        Map<String, CommandCustomHeader> decoded = new LinkedHashMap<>();
        try {
            CommandCustomHeader h = cmd.decodeCommandCustomHeader(cls);
            if (h == null) {
                problems.add(cls.getSimpleName() + ": decodeCommandCustomHeader returned null");
            } else {
                decoded.put("decodeCommandCustomHeader", h);
            }
        } catch (Exception e) {
            problems.add(cls.getSimpleName() + ": decodeCommandCustomHeader threw " + e);
        }
        try {
            CommandCustomHeader h = RmqClasses.decodeStrict(cmd, cls);
            if (h == null) {
                problems.add(cls.getSimpleName() + ": strict decode returned null");
            } else {
                decoded.put("strict decode", h);
            }
        } catch (Exception e) {
            problems.add(cls.getSimpleName() + ": strict decode threw " + e);
        }
        Map<String, String> ext = cmd.getExtFields() == null ? new HashMap<>() : cmd.getExtFields();
        for (Map.Entry<String, CommandCustomHeader> d : decoded.entrySet()) {
            for (Field f : RmqClasses.instanceFields(cls)) {
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(d.getValue());
                } catch (ReflectiveOperationException | RuntimeException e) {
                    problems.add(f.getName() + ": unreadable: " + e);
                    continue;
                }
                if (RmqClasses.isRequired(f) && value == null) {
                    problems.add(cls.getSimpleName() + "." + f.getName() + " is @CFNotNull but null after "
                        + d.getKey());
                }
                String text = ext.get(f.getName());
                if (value != null && text != null && !String.valueOf(value).equals(text)) {
                    problems.add(cls.getSimpleName() + "." + f.getName() + " decoded as " + value + " from \""
                        + text + "\" by " + d.getKey());
                }
            }
        }
        return problems;
    }
}
