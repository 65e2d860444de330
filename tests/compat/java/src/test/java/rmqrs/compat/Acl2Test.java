package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.tools.command.MQAdminStartup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ACL 2.0 (RocketMQ 5.3 users and policies) with the official 5.x tools and client: a private
 * name server and broker of ours (started here from the binaries next to the -Dmqadmin one)
 * with authenticationEnabled and authorizationEnabled. The official mqadmin, signed as the
 * initial super user, creates a user and its policy and lists them; the official producer
 * with AclClientRPCHook sends with the right secret and is refused with a wrong one or on a
 * topic its policy does not name. 5.x profile only (the 4.x tool has no auth commands).
 */
@Tag(CompatSupport.BROKER)
class Acl2Test {
    private static final RPCHook ROOT = new AclClientRPCHook(new SessionCredentials("rocketmq", "12345678"));
    private static Process namesrv;
    private static Process broker;
    private static String ns;
    private static String brokerAddr;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("rmq5".equals(CompatSupport.clientProfile()), "the 5.x tool (rmq5 profile)");
        String mqadmin = System.getProperty("mqadmin", "");
        Assumptions.assumeTrue(!mqadmin.isEmpty(), "-Dmqadmin names our binaries' directory");
        Path bin = Path.of(mqadmin).getParent();
        Path dir = Files.createTempDirectory("rmq-acl2");
        int[] nsPort = new int[1];
        namesrv = startOnFreePort(dir, "namesrv", p -> {
            nsPort[0] = p;
            return "listenPort=" + p + "\nbindAddress=127.0.0.1\nkvConfigPath=" + dir.resolve("kv.json") + "\n";
        }, bin.resolve("mqnamesrv"));
        ns = "127.0.0.1:" + nsPort[0];
        broker = startOnFreePort(dir, "broker", p -> {
            brokerAddr = "127.0.0.1:" + p;
            return "brokerClusterName=Acl2Cluster\nbrokerName=broker-acl2\nbrokerIP1=127.0.0.1\n"
                + "bindAddress=127.0.0.1\nlistenPort=" + p + "\nfastListenEnable=false\n"
                + "storePathRootDir=" + dir.resolve("store") + "\nmappedFileSizeCommitLog=16777216\n"
                + "maxHashSlotNum=50000\nmaxIndexNum=200000\nnamesrvAddr=" + ns + "\n"
                + "authenticationEnabled=true\nauthorizationEnabled=true\n"
                + "initAuthenticationUser={\"username\":\"rocketmq\",\"password\":\"12345678\"}\n";
        }, bin.resolve("mqbroker"));
    }

    /**
     * Starts the binary on a free port and waits for it to listen; a port taken between the
     * probe and the bind (by another test's connection or the broker's HA port) gets a fresh
     * port, up to three tries.
     */
    private static Process startOnFreePort(Path dir, String name, java.util.function.IntFunction<String> conf,
        Path binary) throws Exception {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path file = dir.resolve(name + ".conf");
            Files.writeString(file, conf.apply(port));
            Process p = spawn(binary, file, dir, name);
            try {
                waitPort(p, port, dir.resolve(name + ".out"));
                return p;
            } catch (IllegalStateException e) {
                p.destroyForcibly().waitFor();
                System.out.println(name + " attempt " + attempt + ": " + e.getMessage());
                last = e;
            }
        }
        throw last;
    }

    @AfterAll
    static void stop() {
        for (Process p : new Process[] {broker, namesrv}) {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    private static Process spawn(Path bin, Path conf, Path dir, String name) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(bin.toString(), "-c", conf.toString());
        pb.environment().put("ROCKETMQ_LOG_DIR", dir.resolve("logs-" + name).toString());
        pb.redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile());
        return pb.start();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits (up to 90 s: a loaded CI machine starts a debug broker slowly) for the process to
     * listen on the port; fails at once, with the process's output, when it exits instead.
     */
    private static void waitPort(Process process, int port, Path out) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (Exception e) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("exited with " + process.exitValue() + " before port " + port
                        + " opened; its output: " + tail(out));
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("port " + port + " never opened; output so far: " + tail(out));
    }

    private static String tail(Path out) {
        try {
            String text = Files.readString(out);
            // One line: surefire's summary (what CI prints) shows only the message's first line.
            String last = text.length() > 600 ? text.substring(text.length() - 600) : text;
            return last.strip().replace('\n', '|');
        } catch (Exception e) {
            return "(" + out + " unreadable: " + e + ")";
        }
    }

    /** The official mqadmin, signed as the super user, against the private name server. */
    private static String mqadmin(String... args) {
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "-n";
        full[args.length + 1] = ns;
        String oldNs = System.getProperty(MixAll.NAMESRV_ADDR_PROPERTY);
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            MQAdminStartup.main0(full, ROOT);
        } finally {
            System.setOut(old);
            if (oldNs == null) {
                System.clearProperty(MixAll.NAMESRV_ADDR_PROPERTY);
            } else {
                System.setProperty(MixAll.NAMESRV_ADDR_PROPERTY, oldNs);
            }
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println("$ mqadmin " + String.join(" ", args) + "\n" + out);
        return out;
    }

    private static DefaultMQProducer producer(String ak, String sk) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("acl2"),
            new AclClientRPCHook(new SessionCredentials(ak, sk)));
        p.setNamesrvAddr(ns);
        p.setInstanceName(CompatSupport.uniqueInstanceName("acl2-" + ak + "-" + sk));
        p.setRetryTimesWhenSendFailed(0);
        p.start();
        return p;
    }

    @Test
    void officialMqadminManagesUsersAndAclsAndSessionCredentialsAreChecked() throws Exception {
        String topic = CompatSupport.uniqueTopic("acl2");
        String out = mqadmin("createUser", "-b", brokerAddr, "-u", "app", "-p", "app-secret");
        assertTrue(out.contains("create user to " + brokerAddr + " success."), out);
        out = mqadmin("createAcl", "-b", brokerAddr, "-s", "User:app", "-r", "Topic:" + topic, "-a", "Pub", "-d", "Allow");
        assertTrue(out.contains("create acl to " + brokerAddr + " success."), out);
        out = mqadmin("listUser", "-b", brokerAddr);
        assertTrue(out.contains("#UserName") && out.contains("app-secret") && out.contains("Super"), out);
        out = mqadmin("listAcl", "-b", brokerAddr);
        assertTrue(out.contains("User:app") && out.contains("Topic:" + topic) && out.contains("[Pub]"), out);
        out = mqadmin("getUser", "-b", brokerAddr, "-u", "app");
        assertTrue(out.contains("Normal") && out.contains("enable"), out);
        out = mqadmin("updateTopic", "-b", brokerAddr, "-t", topic, "-r", "2", "-w", "2");
        assertTrue(out.contains("success"), out);
        Thread.sleep(1000);

        DefaultMQProducer right = producer("app", "app-secret");
        DefaultMQProducer wrong = producer("app", "wrong-secret");
        try {
            SendResult r = sendWithRouteRetry(right, topic);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            MQClientException bad = assertThrows(MQClientException.class,
                () -> wrong.send(new Message(topic, "no".getBytes(StandardCharsets.UTF_8))));
            assertEquals(16, bad.getResponseCode(), bad.getErrorMessage());
            String other = CompatSupport.uniqueTopic("acl2other");
            mqadmin("updateTopic", "-b", brokerAddr, "-t", other, "-r", "2", "-w", "2");
            Thread.sleep(1000);
            MQClientException denied = assertThrows(MQClientException.class,
                () -> sendWithRouteRetry(right, other));
            assertEquals(16, denied.getResponseCode(), denied.getErrorMessage());
            String why = String.valueOf(denied.getCause());
            assertTrue(why.contains("no matched policies"), why);
        } finally {
            right.shutdown();
            wrong.shutdown();
        }
        out = mqadmin("deleteUser", "-b", brokerAddr, "-u", "app");
        assertTrue(out.contains("delete user to " + brokerAddr + " success."), out);
        assertTrue(!mqadmin("listUser", "-b", brokerAddr).contains("app-secret"));
    }

    /** Sends once the route is known (the client may need a moment after topic creation). */
    private static SendResult sendWithRouteRetry(DefaultMQProducer p, String topic) throws Exception {
        Exception last = null;
        for (int i = 0; i < 20; i++) {
            try {
                return p.send(new Message(topic, "hello".getBytes(StandardCharsets.UTF_8)));
            } catch (MQClientException e) {
                if (e.getResponseCode() == 16) {
                    throw e;
                }
                last = e;
                Thread.sleep(500);
            }
        }
        throw last;
    }
}
