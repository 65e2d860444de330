package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
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
 * The official mqadmin 5.x (rocketmq-tools, in-process through MQAdminStartup) against our
 * cluster, command by command, with each command's OUTPUT checked: the tool prints a stack
 * trace or nothing and still exits 0 when a request fails, so only the text tells.
 *
 * <p>One topic with keyed messages, a push consumer group that consumed them (kept online) and
 * a producer (kept online) are set up once; the 5.x profile only (the 5.x tool reads keys and
 * request codes the 4.x tool does not).
 */
@Tag(CompatSupport.BROKER)
class OfficialMqadminTest {
    private static final int SENT = 20;
    private static DefaultMQAdminExt admin;
    private static DefaultMQProducer producer;
    private static DefaultMQPushConsumer consumer;
    private static final AtomicInteger CONSUMED = new AtomicInteger();
    private static final List<SendResult> RESULTS = new ArrayList<>();
    private static String cluster;
    private static String topic;
    private static String group;
    private static String producerGroup;
    private static String master;
    private static String brokerName;
    private static Path exportDir;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("rmq5".equals(CompatSupport.clientProfile()), "the 5.x tool (rmq5 profile)");
        Path home = Files.createTempDirectory("rmq-home");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/logback_tools.xml"), "<configuration><root level=\"OFF\"/></configuration>");
        System.setProperty("rocketmq.home.dir", home.toString());
        exportDir = Files.createTempDirectory("rmq-export");
        admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("official-admin"));
        admin.start();
        var info = admin.examineBrokerClusterInfo();
        cluster = info.getClusterAddrTable().keySet().iterator().next();
        brokerName = info.getClusterAddrTable().get(cluster).stream().sorted().findFirst().orElseThrow();
        master = info.getBrokerAddrTable().get(brokerName).getBrokerAddrs().get(0L);
        topic = CompatSupport.uniqueTopic("offadm");
        group = CompatSupport.uniqueConsumerGroup("offadm");
        producerGroup = CompatSupport.uniqueProducerGroup("offadm");
        String created = mqadmin("updateTopic", "-b", master, "-t", topic, "-r", "4", "-w", "4");
        assertTrue(created.contains("create topic to " + master + " success"), created);
        waitRoute();
        producer = new DefaultMQProducer(producerGroup);
        producer.setNamesrvAddr(CompatSupport.namesrv());
        producer.setInstanceName(CompatSupport.uniqueInstanceName("offadm-p"));
        producer.start();
        sendBatch("first");
        consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(CompatSupport.namesrv());
        consumer.setInstanceName(CompatSupport.uniqueInstanceName("offadm-c"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            CONSUMED.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        waitConsumed(SENT);
    }

    @AfterAll
    static void stop() {
        if (consumer != null) {
            consumer.shutdown();
        }
        if (producer != null) {
            producer.shutdown();
        }
        if (admin != null) {
            admin.shutdown();
        }
        try {
            if (exportDir != null) {
                deleteTree(exportDir);
            }
        } catch (java.io.IOException ignored) {
            // a temp dir left behind
        }
    }

    private static void sendBatch(String tag) throws Exception {
        for (int i = 0; i < SENT; i++) {
            Message m = new Message(topic, tag, "key-" + tag + "-" + i, ("body-" + i).getBytes(StandardCharsets.UTF_8));
            RESULTS.add(producer.send(m));
        }
    }

    private static void waitConsumed(int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (CONSUMED.get() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(CONSUMED.get() >= n, "consumed " + CONSUMED.get() + " of " + n);
    }

    private static void waitRoute() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                admin.examineTopicRouteInfo(topic);
                return;
            } catch (Exception notYet) {
                Thread.sleep(200);
            }
        }
    }

    /** The official mqadmin, in-process; returns what it printed on stdout. */
    static String mqadmin(String... args) {
        return CompatSupport.officialMqadmin("mqadmin", args);
    }

    private static String line(String text, String... parts) {
        for (String l : text.split("\n")) {
            boolean all = true;
            for (String p : parts) {
                all &= l.contains(p);
            }
            if (all) {
                return l;
            }
        }
        return null;
    }

    private static List<Double> numbersBefore(String text, String suffix) {
        List<Double> out = new ArrayList<>();
        Matcher m = Pattern.compile("(-?\\d+\\.\\d+)" + Pattern.quote(suffix)).matcher(text);
        while (m.find()) {
            out.add(Double.parseDouble(m.group(1)));
        }
        return out;
    }

    @Test
    void clusterListShowsActivatedBrokersAndRecentInAndOutTps() throws Exception {
        int before = CONSUMED.get();
        sendBatch("tps");
        waitConsumed(before + SENT);
        Thread.sleep(1100);
        String text = mqadmin("clusterList");
        String row = line(text, " " + master + " ");
        assertTrue(text.contains("#ACTIVATED") && row != null, text);
        assertTrue(row.trim().endsWith("true"), "ACTIVATED: " + row);
        List<Double> tps = numbersBefore(row, "(");
        assertTrue(tps.size() >= 2, row);
        assertTrue(tps.get(0) > 0, "InTPS over the last 10 s: " + row);
        assertTrue(tps.get(1) > 0, "OutTPS over the last 10 s (getTransferredTps): " + row);
    }

    @Test
    void topicCommands() throws Exception {
        assertTrue(mqadmin("topicList").contains(topic));
        String withCluster = mqadmin("topicList", "-c");
        assertTrue(line(withCluster, topic, group) != null || line(withCluster, topic) != null, withCluster);
        String route = mqadmin("topicRoute", "-t", topic);
        assertTrue(route.contains("\"brokerName\":\"" + brokerName + "\"") || route.contains("\"brokerName\" : \"" + brokerName + "\""), route);
        String status = mqadmin("topicStatus", "-t", topic);
        assertTrue(status.contains("#Min Offset") && line(status, brokerName) != null, status);
        assertEquals(cluster, mqadmin("topicClusterList", "-t", topic).trim());
        String alloc = mqadmin("allocateMQ", "-t", topic, "-i", "10.0.0.1,10.0.0.2");
        assertTrue(alloc.contains("10.0.0.1") && alloc.contains(topic), alloc);
        String scratch = CompatSupport.uniqueTopic("offadm_del");
        assertTrue(mqadmin("updateTopic", "-c", cluster, "-t", scratch).contains("success"));
        String perm = mqadmin("updateTopicPerm", "-c", cluster, "-t", scratch, "-p", "4");
        assertTrue(perm.contains("update topic perm from 6 to 4"), perm);
        String deleted = mqadmin("deleteTopic", "-c", cluster, "-t", scratch);
        assertTrue(deleted.contains("delete topic [" + scratch + "] from cluster [" + cluster + "] success."), deleted);
    }

    @Test
    void consumerProgressShowsNoNegativeInflight() {
        String text = mqadmin("consumerProgress", "-g", group);
        int rows = 0;
        for (String l : text.split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 7 && f[0].equals(topic)) {
                rows++;
                assertTrue(Long.parseLong(f[6]) >= 0, "Inflight (pullOffset - consumerOffset) in: " + l);
            }
        }
        assertEquals(4, rows, text);
        Matcher m = Pattern.compile("Consume Inflight Total: (-?\\d+)").matcher(text);
        assertTrue(m.find() && Long.parseLong(m.group(1)) >= 0, text);
    }

    @Test
    void statsAllCountsTheLast24Hours() {
        String text = mqadmin("statsAll", "-t", topic);
        String row = line(text, topic, group);
        assertTrue(row != null, text);
        String[] f = row.trim().split("\\s+");
        // topic group accumulation inTPS outTPS inMsg24Hour outMsg24Hour
        assertTrue(Long.parseLong(f[5]) >= SENT, "InMsg24Hour: " + row);
        assertTrue(Long.parseLong(f[6]) >= SENT, "OutMsg24Hour: " + row);
    }

    @Test
    void brokerConsumeStatsNamesTheGroupInItsColumn() {
        String text = mqadmin("brokerConsumeStats", "-b", master);
        boolean found = false;
        for (String l : text.split("\n")) {
            String[] f = l.trim().split("\\s+");
            found |= f.length >= 2 && f[0].equals(topic) && f[1].equals(group);
        }
        assertTrue(found, "a row '<topic> <group> ...': " + text);
        assertTrue(text.contains("Diff Total:"), text);
    }

    @Test
    void brokerStatusConfigAndHa() {
        String status = mqadmin("brokerStatus", "-b", master);
        assertTrue(status.contains("getTransferredTps") && status.contains("brokerActive"), status);
        String config = mqadmin("getBrokerConfig", "-b", master);
        assertTrue(line(config, "brokerName", brokerName) != null, config);
        String ha = mqadmin("haStatus", "-b", master);
        assertTrue(ha.contains("#MasterAddr\t" + master) && ha.contains("#MasterCommitLogMaxOffset"), ha);
        Matcher slaves = Pattern.compile("#SlaveNum\\t(\\d+)").matcher(ha);
        assertTrue(slaves.find(), ha);
        if (Integer.parseInt(slaves.group(1)) > 0) {
            assertTrue(ha.contains(" OK ") || ha.contains("OK"), "an in-sync slave: " + ha);
        }
        String clean = mqadmin("cleanExpiredCQ", "-b", master);
        assertTrue(clean.contains("success"), "cleanExpiredCQ (code 306): " + clean);
    }

    @Test
    void exports() throws Exception {
        String metrics = mqadmin("exportMetrics", "-c", cluster, "-f", exportDir.toString());
        assertTrue(metrics.contains("success"), metrics);
        String m = Files.readString(exportDir.resolve("metrics.json"));
        assertTrue(m.contains("totalTps") && m.contains(brokerName), m);
        String configs = mqadmin("exportConfigs", "-c", cluster, "-f", exportDir.toString());
        assertTrue(configs.contains("success"), configs);
        assertTrue(Files.readString(exportDir.resolve("configs.json")).contains("brokerConfigs"));
        String meta = mqadmin("exportMetadata", "-c", cluster, "-f", exportDir.toString());
        assertTrue(meta.contains("success"), meta);
        assertTrue(Files.readString(exportDir.resolve("metadata.json")).contains(topic));
    }

    @Test
    void groupCommands() throws Exception {
        String config = mqadmin("getConsumerConfig", "-g", group);
        assertTrue(config.contains("=============================" + cluster + ":") && line(config, "groupName", group) != null, config);
        String conn = mqadmin("consumerConnection", "-g", group);
        assertTrue(conn.contains("#ClientId") && conn.contains("ConsumeType: CONSUME_PASSIVELY") && line(conn, topic) != null, conn);
        String prod = mqadmin("producerConnection", "-g", producerGroup, "-t", topic);
        assertTrue(prod.contains("0001  "), prod);
        String status = mqadmin("consumerStatus", "-g", group);
        assertTrue(status.contains("#ClientId") || status.contains("Rebalance OK"), status);
        // consumerStatus writes each client's running info under ./<now ms>/: remove it.
        Matcher written = Pattern.compile("(?m)\\s(\\d{13})/").matcher(status);
        boolean any = false;
        while (written.find()) {
            any = true;
            deleteTree(Path.of(written.group(1)));
        }
        assertTrue(any, "a running-info row per client (GET_CONSUMER_RUNNING_INFO through the broker): " + status);
        String other = CompatSupport.uniqueConsumerGroup("offadm_sub");
        assertTrue(mqadmin("updateSubGroup", "-c", cluster, "-g", other).contains("create subscription group to"));
        String cloned = mqadmin("cloneGroupOffset", "-s", group, "-d", other, "-t", topic);
        assertTrue(cloned.contains("clone group offset success"), cloned);
        String del = mqadmin("deleteSubGroup", "-c", cluster, "-g", other);
        assertTrue(del.contains("delete subscription group [" + other + "] from broker ["), del);
        String reset = mqadmin("resetOffsetByTime", "-g", group, "-t", topic, "-s", "now");
        assertTrue(reset.contains("#queueId") || reset.contains("reset consumer offset"), reset);
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void messageCommands() {
        SendResult r = RESULTS.get(0);
        String byId = mqadmin("queryMsgById", "-t", topic, "-i", r.getOffsetMsgId());
        assertTrue(line(byId, "Topic:", topic) != null && byId.contains("key-first-0"), byId);
        String byKey = mqadmin("queryMsgByKey", "-t", topic, "-k", "key-first-3");
        assertTrue(byKey.contains("#Message ID") && byKey.contains(RESULTS.get(3).getMsgId()), byKey);
        String byUnique = mqadmin("queryMsgByUniqueKey", "-t", topic, "-i", RESULTS.get(1).getMsgId());
        assertTrue(line(byUnique, "Topic:", topic) != null, byUnique);
        var mq = r.getMessageQueue();
        String byOffset = mqadmin("queryMsgByOffset", "-t", topic, "-b", mq.getBrokerName(),
            "-i", Integer.toString(mq.getQueueId()), "-o", Long.toString(r.getQueueOffset()));
        assertTrue(line(byOffset, "Topic:", topic) != null, byOffset);
        String printed = mqadmin("printMsg", "-t", topic, "-c", "UTF-8");
        assertTrue(printed.contains("MSGID:") && printed.contains("body-0"), printed);
        String sent = mqadmin("sendMessage", "-t", topic, "-p", "from-official-tool");
        assertTrue(sent.contains("SEND_OK"), sent);
        String rt = mqadmin("checkMsgSendRT", "-t", topic, "-a", "3", "-s", "16");
        assertTrue(rt.contains("Avg RT:") && rt.contains("true"), rt);
        String cq = mqadmin("queryCq", "-t", topic, "-q", Integer.toString(mq.getQueueId()), "-i", "0", "-c", "2", "-b", master);
        assertTrue(cq.contains("Queue data:") && cq.contains("idx: 0") && cq.contains("physicOffset="), cq);
    }

    @Test
    void nameServerCommands() throws Exception {
        String wiped = mqadmin("wipeWritePerm", "-b", brokerName);
        Matcher w = Pattern.compile("wipe write perm of broker\\[" + Pattern.quote(brokerName) + "\\] in name server\\[[^]]+\\] OK, (\\d+)").matcher(wiped);
        try {
            assertTrue(w.find() && Integer.parseInt(w.group(1)) >= 1, wiped);
            var q = admin.examineTopicRouteInfo(topic).getQueueDatas().get(0);
            assertEquals(4, q.getPerm(), "read-only after wipeWritePerm");
        } finally {
            String added = mqadmin("addWritePerm", "-b", brokerName);
            assertTrue(added.contains("add write perm of broker[" + brokerName + "]") && added.contains("OK"), added);
        }
        assertEquals(6, admin.examineTopicRouteInfo(topic).getQueueDatas().get(0).getPerm(), "writable after addWritePerm");

        String ns = "OFFADM_NS";
        String key = CompatSupport.uniqueTopic("kv");
        String put = mqadmin("updateKvConfig", "-s", ns, "-k", key, "-v", "v1");
        assertTrue(put.contains("create or update kv config to namespace success"), put);
        assertEquals("v1", admin.getKVConfig(ns, key));
        String del = mqadmin("deleteKvConfig", "-s", ns, "-k", key);
        assertTrue(del.contains("delete kv config from namespace success"), del);
        boolean gone;
        try {
            gone = admin.getKVConfig(ns, key) == null;
        } catch (Exception notFound) {
            gone = true;
        }
        assertTrue(gone, "deleted kv config");

        String conf = brokerName + ":4";
        String order = mqadmin("updateOrderConf", "-t", topic, "-m", "put", "-v", conf);
        assertTrue(order.contains("update orderConf success"), order);
        String got = mqadmin("updateOrderConf", "-t", topic, "-m", "get");
        assertTrue(got.contains("orderConf=[" + conf + "]"), got);
        String removed = mqadmin("updateOrderConf", "-t", topic, "-m", "delete");
        assertTrue(removed.contains("delete orderConf success"), removed);
        assertFalse(mqadmin("updateOrderConf", "-t", topic, "-m", "get").contains(conf));
    }
}
