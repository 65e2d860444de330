package rmqrs.compat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * Shared helpers for the compatibility scenarios (official client against our broker).
 *
 * <p>Scenario classes are tagged with {@link #BROKER} (they need a running name server and broker);
 * self-contained checks are tagged {@link #OFFLINE}. Select with {@code -Dgroups=offline},
 * {@code -DexcludedGroups=broker} or {@code -Dtest=SendReceiveIT#...}.
 */
public final class CompatSupport {
    /** JUnit tag of tests that need a running name server + broker at {@link #namesrv()}. */
    public static final String BROKER = "broker";
    /** JUnit tag of tests that need nothing but the JVM. */
    public static final String OFFLINE = "offline";

    /** System property with the name server address, {@code host:port[;host:port]}. */
    public static final String NAMESRV_PROPERTY = "namesrv";
    /** Used when neither the property nor {@code NAMESRV_ADDR} is set. */
    public static final String DEFAULT_NAMESRV = "127.0.0.1:9876";

    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Differs between runs so names never collide with a previous run's leftovers on the broker. */
    private static final String RUN_ID = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36)
        + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);

    private CompatSupport() {
    }

    /** The name server address: {@code -Dnamesrv=...}, else env {@code NAMESRV_ADDR}, else 127.0.0.1:9876. */
    public static String namesrv() {
        String p = System.getProperty(NAMESRV_PROPERTY);
        if (p != null && !p.isBlank()) {
            return p.trim();
        }
        String env = System.getenv("NAMESRV_ADDR");
        return env != null && !env.isBlank() ? env.trim() : DEFAULT_NAMESRV;
    }

    /** Which official client line runs: {@code rmq4} or {@code rmq5} (the Maven profile). */
    public static String clientProfile() {
        return System.getProperty("rmq.profile", "rmq4");
    }

    /** The official client version on the classpath (from the Maven profile). */
    public static String clientVersion() {
        return System.getProperty("rocketmq.client.version", "unknown");
    }

    /** A topic name unique to this run: {@code compat_<prefix>_<run>_<n>} (topic charset: [%|a-zA-Z0-9_-]). */
    public static String uniqueTopic(String prefix) {
        return unique("compat_" + sanitize(prefix));
    }

    /** A consumer group name unique to this run. */
    public static String uniqueConsumerGroup(String prefix) {
        return unique("compat_cg_" + sanitize(prefix));
    }

    /** A producer group name unique to this run. */
    public static String uniqueProducerGroup(String prefix) {
        return unique("compat_pg_" + sanitize(prefix));
    }

    /** An instance name unique to this run, so two clients in one JVM get separate MQClientInstances. */
    public static String uniqueInstanceName(String prefix) {
        return unique("compat_inst_" + sanitize(prefix));
    }

    private static String unique(String base) {
        String name = base + "_" + RUN_ID + "_" + SEQ.incrementAndGet();
        // RocketMQ limits topic/group names to 127 characters.
        return name.length() <= 127 ? name : name.substring(name.length() - 127);
    }

    private static String sanitize(String s) {
        String out = s.replaceAll("[^A-Za-z0-9_-]", "_").toLowerCase(Locale.ROOT);
        return out.isEmpty() ? "x" : out;
    }

    /** Whether something accepts TCP connections at the first name server address (1 s timeout). */
    public static boolean namesrvReachable() {
        String first = namesrv().split(";")[0];
        int colon = first.lastIndexOf(':');
        if (colon < 0) {
            return false;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(first.substring(0, colon), Integer.parseInt(first.substring(colon + 1))),
                1000);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Fails fast with a clear message when no name server listens (call from @BeforeAll of broker tests). */
    public static void requireNamesrv() {
        if (!namesrvReachable()) {
            throw new IllegalStateException("no name server at " + namesrv()
                + " (start ours, or pass -Dnamesrv=host:port)");
        }
    }

    /**
     * Runs the official mqadmin in-process against the suite's name server ({@code -n} added)
     * and returns what it printed on stdout (also echoed after {@code $ <label> <args>}).
     */
    public static String officialMqadmin(String label, String... args) {
        return officialMqadmin(null, label, args);
    }

    /**
     * The 4.9.x tool reads {@code <rocketmq.home.dir>/conf/logback_tools.xml} before it runs any
     * command and runs none when that file is missing; give it a home with a silent one (before
     * MQAdminStartup is first used: it reads the property once).
     */
    private static synchronized java.nio.file.Path toolsHome() {
        String set = System.getProperty("rocketmq.home.dir");
        if (set != null) {
            return java.nio.file.Path.of(set);
        }
        try {
            java.nio.file.Path home = java.nio.file.Files.createTempDirectory("rmq-tools-home");
            java.nio.file.Path conf = java.nio.file.Files.createDirectories(home.resolve("conf"));
            java.nio.file.Files.writeString(conf.resolve("logback_tools.xml"),
                "<configuration><root level=\"OFF\"/></configuration>\n");
            home.toFile().deleteOnExit();
            System.setProperty("rocketmq.home.dir", home.toString());
            return home;
        } catch (IOException e) {
            throw new IllegalStateException("cannot make a home for the official tool", e);
        }
    }

    /**
     * The 4.9.x tool ignores the hook it is given and signs with {@code <home>/conf/tools.yml}:
     * write the hook's account there (an {@code AclClientRPCHook}), or remove the file (none).
     */
    private static void toolsCredentials(java.nio.file.Path home, org.apache.rocketmq.remoting.RPCHook hook) {
        java.nio.file.Path file = home.resolve("conf").resolve("tools.yml");
        try {
            if (hook instanceof org.apache.rocketmq.acl.common.AclClientRPCHook) {
                org.apache.rocketmq.acl.common.SessionCredentials c =
                    ((org.apache.rocketmq.acl.common.AclClientRPCHook) hook).getSessionCredentials();
                java.nio.file.Files.writeString(file,
                    "accessKey: " + c.getAccessKey() + "\nsecretKey: " + c.getSecretKey() + "\n");
                file.toFile().deleteOnExit();
            } else {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the official tool's tools.yml", e);
        }
    }

    /** {@link #officialMqadmin(String, String...)} signing with {@code hook} (an ACL account). */
    public static String officialMqadmin(org.apache.rocketmq.remoting.RPCHook hook, String label, String... args) {
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "-n";
        full[args.length + 1] = namesrv();
        toolsCredentials(toolsHome(), hook);
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            MQAdminStartup.main0(full, hook);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println("$ " + label + " " + String.join(" ", args) + "\n" + out);
        return out;
    }
}
