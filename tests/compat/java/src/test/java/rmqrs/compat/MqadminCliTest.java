package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.apache.rocketmq.tools.command.MQAdminStartup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The official mqadmin (rocketmq-tools, run in-process through MQAdminStartup) and our
 * {@code mqadmin --json} against the same cluster: updateTopic, topicList, consumerProgress and
 * resetOffsetByTime give the same results whichever tool runs them.
 *
 * <p>Our binary comes from {@code -Dmqadmin=<path>} or the {@code MQADMIN_BIN} environment
 * variable (run-java-compat.sh sets both).
 */
@Tag(CompatSupport.BROKER)
class MqadminCliTest {
    private static DefaultMQAdminExt admin;
    private static String ours;
    private static String cluster;

    @BeforeAll
    static void start() throws Exception {
        ours = System.getProperty("mqadmin");
        if (ours == null || ours.isBlank()) {
            ours = System.getenv("MQADMIN_BIN");
        }
        Assumptions.assumeTrue(ours != null && Files.isExecutable(Path.of(ours)),
            "our mqadmin binary: pass -Dmqadmin=<path> or MQADMIN_BIN (run-java-compat.sh does)");
        Path home = Files.createTempDirectory("rmq-home");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/logback_tools.xml"), "<configuration><root level=\"OFF\"/></configuration>");
        System.setProperty("rocketmq.home.dir", home.toString());
        admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("mqadmin-cli"));
        admin.start();
        cluster = admin.examineBrokerClusterInfo().getClusterAddrTable().keySet().iterator().next();
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.shutdown();
        }
    }

    /** The official mqadmin, in-process; returns what it printed. */
    private static String official(String... args) {
        return CompatSupport.officialMqadmin("official mqadmin", args);
    }

    /** Our mqadmin with --json; requires exit 0 and returns the parsed output. */
    private static Object ours(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ours));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-n", CompatSupport.namesrv(), "--json"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "our mqadmin did not finish");
        String out = new String(stdout, StandardCharsets.UTF_8);
        System.out.println("$ our mqadmin " + String.join(" ", args) + "\n" + out + stderr);
        assertEquals(0, p.exitValue(), "our mqadmin " + args[0] + " failed: " + stderr);
        return MiniJson.parse(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** Our route's queue data: read, write, perm. */
    private static List<Long> ourQueues(String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                Map<String, Object> q = map(list(map(ours("topicRoute", "-t", topic)).get("queueDatas")).get(0));
                return List.of((Long) q.get("readQueueNums"), (Long) q.get("writeQueueNums"), (Long) q.get("perm"));
            } catch (AssertionError notYet) {
                if (System.currentTimeMillis() > deadline) {
                    throw notYet;
                }
                Thread.sleep(200);
            }
        }
    }

    /** The official route's queue data: read, write, perm. */
    private static List<Long> officialQueues(String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                var q = admin.examineTopicRouteInfo(topic).getQueueDatas().get(0);
                return List.of((long) q.getReadQueueNums(), (long) q.getWriteQueueNums(), (long) q.getPerm());
            } catch (org.apache.rocketmq.client.exception.MQClientException notYet) {
                if (System.currentTimeMillis() > deadline) {
                    throw notYet;
                }
                Thread.sleep(200);
            }
        }
    }

    @Test
    void updateTopicByEitherToolGivesTheSameRoute() throws Exception {
        String byOfficial = CompatSupport.uniqueTopic("cli_off");
        String text = official("updateTopic", "-c", cluster, "-t", byOfficial, "-r", "3", "-w", "5", "-p", "6");
        assertTrue(text.contains("success"), text);
        String byOurs = CompatSupport.uniqueTopic("cli_ours");
        ours("updateTopic", "-c", cluster, "-t", byOurs, "-r", "3", "-w", "5", "-p", "6");
        assertEquals(List.of(3L, 5L, 6L), ourQueues(byOfficial));
        assertEquals(List.of(3L, 5L, 6L), officialQueues(byOurs));
        assertEquals(officialQueues(byOfficial), ourQueues(byOurs));
    }

    @Test
    void topicListIsTheSame() throws Exception {
        String topic = CompatSupport.uniqueTopic("cli_list");
        ours("updateTopic", "-c", cluster, "-t", topic, "-r", "2", "-w", "2");
        officialQueues(topic);
        Set<String> before = lines(official("topicList"));
        Set<String> mine = new TreeSet<>();
        for (Object t : list(ours("topicList"))) {
            mine.add((String) t);
        }
        Set<String> after = lines(official("topicList"));
        assertTrue(mine.contains(topic), mine.toString());
        // Topics may appear between the calls (other scenarios), never disappear.
        assertTrue(mine.containsAll(before), "official before: " + before + "\nours: " + mine);
        assertTrue(after.containsAll(mine), "ours: " + mine + "\nofficial after: " + after);
    }

    private static Set<String> lines(String text) {
        Set<String> out = new TreeSet<>();
        for (String l : text.split("\n")) {
            if (!l.isBlank()) {
                out.add(l.trim());
            }
        }
        return out;
    }

    /** Official consumerProgress rows: "topic broker qid" to "brokerOffset consumerOffset". */
    private static Map<String, List<Long>> officialProgress(String text) {
        Map<String, List<Long>> out = new TreeMap<>();
        for (String l : text.split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 5 && !f[0].startsWith("#") && f[2].matches("\\d+") && f[3].matches("-?\\d+")) {
                out.put(f[0] + " " + f[1] + " " + f[2], List.of(Long.parseLong(f[3]), Long.parseLong(f[4])));
            }
        }
        return out;
    }

    private static Map<String, List<Long>> ourProgress(Object json) {
        Map<String, List<Long>> out = new TreeMap<>();
        for (Object o : list(map(json).get("queues"))) {
            Map<String, Object> q = map(o);
            out.put(q.get("topic") + " " + q.get("brokerName") + " " + q.get("queueId"),
                List.of((Long) q.get("brokerOffset"), (Long) q.get("consumerOffset")));
        }
        return out;
    }

    private static long officialDiffTotal(String text) {
        Matcher m = Pattern.compile("Diff Total: (-?\\d+)").matcher(text);
        assertTrue(m.find(), text);
        return Long.parseLong(m.group(1));
    }

    /** Official resetOffsetByTime rows: "broker qid" to offset. */
    private static Map<String, Long> officialReset(String text) {
        Map<String, Long> out = new TreeMap<>();
        for (String l : text.split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 3 && !f[0].startsWith("#") && f[1].matches("\\d+") && f[2].matches("-?\\d+")) {
                out.put(f[0] + " " + f[1], Long.parseLong(f[2]));
            }
        }
        return out;
    }

    private static Map<String, Long> ourReset(Object json) {
        Map<String, Long> out = new TreeMap<>();
        for (Object o : list(map(json).get("offsets"))) {
            Map<String, Object> q = map(o);
            out.put(q.get("brokerName") + " " + q.get("queueId"), (Long) q.get("offset"));
        }
        return out;
    }

    @Test
    void consumerProgressAndResetOffsetByTimeAgree() throws Exception {
        String topic = CompatSupport.uniqueTopic("cli_progress");
        String group = CompatSupport.uniqueConsumerGroup("cli_progress");
        ours("updateTopic", "-c", cluster, "-t", topic, "-r", "4", "-w", "4");
        officialQueues(topic);
        DefaultMQProducer producer = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("cli_progress"));
        producer.setNamesrvAddr(CompatSupport.namesrv());
        producer.setInstanceName(CompatSupport.uniqueInstanceName("cli_p"));
        producer.start();
        long beforeSend = System.currentTimeMillis() - 1000;
        try {
            for (int i = 0; i < 12; i++) {
                producer.send(new Message(topic, "t", ("p" + i).getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            producer.shutdown();
        }
        AtomicInteger consumed = new AtomicInteger();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(CompatSupport.namesrv());
        consumer.setInstanceName(CompatSupport.uniqueInstanceName("cli_c"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            consumed.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        try {
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumed.get() < 12 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(12, consumed.get());
        } finally {
            consumer.shutdown(); // commits the offsets
        }

        // consumerProgress: the same queues, offsets and total lag.
        String text = official("consumerProgress", "-g", group);
        Object json = ours("consumerProgress", "-g", group);
        Map<String, List<Long>> mine = ourProgress(json);
        assertFalse(mine.isEmpty());
        assertEquals(officialProgress(text), mine);
        assertEquals(officialDiffTotal(text), (Long) map(json).get("diffTotal"));
        assertEquals(12L, mine.entrySet().stream().filter(e -> e.getKey().startsWith(topic + " "))
            .mapToLong(e -> e.getValue().get(1)).sum(), "all consumed: " + mine);

        // resetOffsetByTime by the official tool, then the same by ours: the same offsets.
        String ts = Long.toString(beforeSend);
        Map<String, Long> byOfficial = officialReset(official("resetOffsetByTime", "-g", group, "-t", topic, "-s", ts));
        // 4 queues on every master of the cluster.
        assertTrue(!byOfficial.isEmpty() && byOfficial.size() % 4 == 0, byOfficial.toString());
        assertTrue(byOfficial.values().stream().allMatch(o -> o == 0L), byOfficial.toString());
        Map<String, Object> progress = map(ours("consumerProgress", "-g", group, "-t", topic));
        assertEquals(12L, progress.get("diffTotal"), "our progress after the official reset");
        assertEquals(byOfficial, ourReset(ours("resetOffsetByTime", "-g", group, "-t", topic, "-s", ts)));

        // Ours resets to now; the official tool sees our offsets.
        Map<String, Long> toNow = ourReset(ours("resetOffsetByTime", "-g", group, "-t", topic, "-s", "now"));
        assertEquals(12L, toNow.values().stream().mapToLong(Long::longValue).sum(), toNow.toString());
        String after = official("consumerProgress", "-g", group);
        Map<String, Long> seen = new TreeMap<>();
        officialProgress(after).forEach((k, v) -> {
            if (k.startsWith(topic + " ")) {
                seen.put(k.substring(topic.length() + 1), v.get(1));
            }
        });
        assertEquals(toNow, seen);
        assertEquals(officialReset(official("resetOffsetByTime", "-g", group, "-t", topic, "-s", "now")), toNow);
    }
}
