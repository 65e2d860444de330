package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.apache.rocketmq.tools.command.MQAdminStartup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The official admin tooling against our name server and broker: MQAdminExt calls and the
 * mqadmin commands (run in-process through MQAdminStartup) print what our cluster registered.
 */
@Tag(CompatSupport.BROKER)
class AdminToolsTest {
    private static DefaultMQAdminExt admin;

    @BeforeAll
    static void start() throws Exception {
        // mqadmin configures logback from ${rocketmq.home.dir}/conf/logback_tools.xml.
        Path home = Files.createTempDirectory("rmq-home");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/logback_tools.xml"), "<configuration><root level=\"OFF\"/></configuration>");
        System.setProperty("rocketmq.home.dir", home.toString());
        admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("admin"));
        admin.start();
    }

    @AfterAll
    static void stop() {
        admin.shutdown();
    }

    private static String mqadmin(String... args) {
        return CompatSupport.officialMqadmin("mqadmin", args);
    }

    private static String brokerAddr() throws Exception {
        var info = admin.examineBrokerClusterInfo();
        var data = info.getBrokerAddrTable().values().iterator().next();
        return data.getBrokerAddrs().get(0L);
    }

    @Test
    void clusterInfoAndRoutesMatchWhatTheBrokerRegistered() throws Exception {
        var info = admin.examineBrokerClusterInfo();
        assertFalse(info.getClusterAddrTable().isEmpty());
        String addr = brokerAddr();
        assertNotNull(addr);
        String topic = CompatSupport.uniqueTopic("admin");
        admin.createAndUpdateTopicConfig(addr, newTopic(topic));
        // Registration with the name server follows a topic change at once.
        long deadline = System.currentTimeMillis() + 10_000;
        boolean checked = false;
        while (!checked && System.currentTimeMillis() < deadline) {
            try {
                // `var`: the route class moved packages between 4.x and 5.x.
                var route = admin.examineTopicRouteInfo(topic);
                assertEquals(1, route.getQueueDatas().size());
                assertEquals(4, route.getQueueDatas().get(0).getWriteQueueNums());
                assertEquals(addr, route.getBrokerDatas().get(0).getBrokerAddrs().get(0L));
                checked = true;
            } catch (org.apache.rocketmq.client.exception.MQClientException notYet) {
                Thread.sleep(200);
            }
        }
        assertTrue(checked, "route of a created topic");

        String cluster = mqadmin("clusterList");
        assertTrue(cluster.contains(addr), cluster);
        String routeText = mqadmin("topicRoute", "-t", topic);
        assertTrue(routeText.contains(addr) && routeText.contains("\"writeQueueNums\":4"), routeText);
        String list = mqadmin("topicList");
        assertTrue(list.contains(topic), list);
        String status = mqadmin("topicStatus", "-t", topic);
        assertTrue(status.contains("#Min Offset"), status);
    }

    @Test
    void brokerForwardsRunningInfoAndResetsOffsetsOfOnlineConsumers() throws Exception {
        String topic = CompatSupport.uniqueTopic("fwd");
        String group = CompatSupport.uniqueConsumerGroup("fwd");
        var producer = new org.apache.rocketmq.client.producer.DefaultMQProducer(CompatSupport.uniqueProducerGroup("fwd"));
        producer.setNamesrvAddr(CompatSupport.namesrv());
        producer.setInstanceName(CompatSupport.uniqueInstanceName("fp"));
        producer.start();
        long beforeSend = System.currentTimeMillis() - 1000;
        try {
            for (int i = 0; i < 5; i++) {
                producer.send(new org.apache.rocketmq.common.message.Message(topic, "t", ("m" + i).getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            producer.shutdown();
        }
        java.util.concurrent.atomic.AtomicInteger consumed = new java.util.concurrent.atomic.AtomicInteger();
        var consumer = new org.apache.rocketmq.client.consumer.DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(CompatSupport.namesrv());
        consumer.setInstanceName(CompatSupport.uniqueInstanceName("fc"));
        consumer.setConsumeFromWhere(org.apache.rocketmq.common.consumer.ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently) (msgs, ctx) -> {
            consumed.addAndGet(msgs.size());
            return org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        try {
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumed.get() < 5 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(5, consumed.get());
            var conn = admin.examineConsumerConnectionInfo(group);
            assertEquals(1, conn.getConnectionSet().size());
            String clientId = conn.getConnectionSet().iterator().next().getClientId();
            // GET_CONSUMER_RUNNING_INFO goes through the broker to the client and back.
            var running = admin.getConsumerRunningInfo(group, clientId, false);
            assertNotNull(running);
            assertTrue(running.getSubscriptionSet().stream().anyMatch(s -> s.getTopic().equals(topic)), running.toString());
            // Reset to before the first message with the consumer online: it consumes them again.
            var reset = admin.resetOffsetByTimestamp(topic, group, beforeSend, true);
            assertFalse(reset.isEmpty(), "reset offsets returned");
            deadline = System.currentTimeMillis() + 30_000;
            while (consumed.get() < 10 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(10, consumed.get(), "re-consumed after the reset");
        } finally {
            consumer.shutdown();
        }
    }

    @Test
    void updateBrokerConfigChangesLiveKeysAndRefusesOthersByName() throws Exception {
        String addr = brokerAddr();
        String before = admin.getBrokerConfig(addr).getProperty("fileReservedTime");
        String out = mqadmin("updateBrokerConfig", "-b", addr, "-k", "fileReservedTime", "-v", "48");
        assertTrue(out.contains("success"), out);
        try {
            assertEquals("48", admin.getBrokerConfig(addr).getProperty("fileReservedTime"));
            var fixed = new java.util.Properties();
            fixed.setProperty("listenPort", "1");
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> admin.updateBrokerConfig(addr, fixed));
            assertTrue(String.valueOf(e.getMessage()).contains("listenPort"), String.valueOf(e.getMessage()));
        } finally {
            var restore = new java.util.Properties();
            restore.setProperty("fileReservedTime", before);
            admin.updateBrokerConfig(addr, restore);
        }
        assertEquals(before, admin.getBrokerConfig(addr).getProperty("fileReservedTime"));
    }

    private static org.apache.rocketmq.common.TopicConfig newTopic(String name) {
        var cfg = new org.apache.rocketmq.common.TopicConfig(name);
        cfg.setReadQueueNums(4);
        cfg.setWriteQueueNums(4);
        return cfg;
    }
}
