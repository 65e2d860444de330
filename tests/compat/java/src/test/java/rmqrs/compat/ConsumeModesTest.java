package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Clustering across two instances, broadcasting, orderly per key, lite pull with seek. */
@Tag(CompatSupport.BROKER)
class ConsumeModesTest {
    private static Map<String, String> produce(String topic, int n) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("cm"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("cp"));
        p.start();
        Map<String, String> sent = new HashMap<>();
        try {
            for (int i = 0; i < n; i++) {
                String body = "m-" + i;
                SendResult r = p.send(new Message(topic, "t", body.getBytes(StandardCharsets.UTF_8)));
                sent.put(r.getMsgId(), body);
            }
        } finally {
            p.shutdown();
        }
        return sent;
    }

    private static DefaultMQPushConsumer consumer(String group, String topic, boolean broadcast, Map<String, String> sink, Set<String> mine) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("cc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        if (broadcast) {
            // MessageModel moved packages in 5.x: reach it through the consumer's own type.
            var current = c.getMessageModel();
            c.setMessageModel(Enum.valueOf(current.getDeclaringClass(), "BROADCASTING"));
        }
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                sink.put(m.getMsgId() + "@" + System.identityHashCode(mine), new String(m.getBody(), StandardCharsets.UTF_8));
                mine.add(m.getMsgId());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        return c;
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static void createTopic(String topic) throws Exception {
        var admin = new org.apache.rocketmq.tools.admin.DefaultMQAdminExt();
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("ca"));
        admin.start();
        try {
            var info = admin.examineBrokerClusterInfo();
            for (var b : info.getBrokerAddrTable().values()) {
                var cfg = new org.apache.rocketmq.common.TopicConfig(topic);
                cfg.setReadQueueNums(4);
                cfg.setWriteQueueNums(4);
                admin.createAndUpdateTopicConfig(b.getBrokerAddrs().get(0L), cfg);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try {
                    admin.examineTopicRouteInfo(topic);
                    return;
                } catch (Exception notYet) {
                    Thread.sleep(100);
                }
            }
        } finally {
            admin.shutdown();
        }
    }

    @Test
    void clusteringSplitsQueuesAndDeliversEachMessageOnce() throws Exception {
        String topic = CompatSupport.uniqueTopic("clu");
        String group = CompatSupport.uniqueConsumerGroup("clu");
        Map<String, String> sink = new ConcurrentHashMap<>();
        Set<String> a = ConcurrentHashMap.newKeySet();
        Set<String> b = ConcurrentHashMap.newKeySet();
        // Create the topic and start both instances before producing so they split its queues.
        createTopic(topic);
        Map<String, String> sent = new HashMap<>();
        DefaultMQPushConsumer c1 = consumer(group, topic, false, sink, a);
        DefaultMQPushConsumer c2 = consumer(group, topic, false, sink, b);
        c1.start();
        c2.start();
        try {
            Thread.sleep(3000); // both rebalanced (the broker notifies membership changes)
            sent.putAll(produce(topic, 40));
            waitFor(() -> a.size() + b.size() >= sent.size(), 40);
            Thread.sleep(1000);
        } finally {
            c1.shutdown();
            c2.shutdown();
        }
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        assertEquals(sent.keySet(), all, "every message received");
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        assertTrue(both.isEmpty(), "no message received by both instances: " + both);
        assertFalse(a.isEmpty() || b.isEmpty(), "both instances got a share: " + a.size() + "/" + b.size());
    }

    @Test
    void broadcastingDeliversEverythingToEachInstance() throws Exception {
        String topic = CompatSupport.uniqueTopic("bc");
        String group = CompatSupport.uniqueConsumerGroup("bc");
        Map<String, String> sent = produce(topic, 9);
        Map<String, String> sink = new ConcurrentHashMap<>();
        Set<String> a = ConcurrentHashMap.newKeySet();
        Set<String> b = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c1 = consumer(group, topic, true, sink, a);
        DefaultMQPushConsumer c2 = consumer(group, topic, true, sink, b);
        c1.start();
        c2.start();
        try {
            waitFor(() -> a.size() >= 9 && b.size() >= 9, 40);
        } finally {
            c1.shutdown();
            c2.shutdown();
        }
        assertEquals(sent.keySet(), a);
        assertEquals(sent.keySet(), b);
    }

    @Test
    void orderlyConsumptionKeepsOrderPerKey() throws Exception {
        String topic = CompatSupport.uniqueTopic("ord");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("ord"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("op"));
        p.start();
        int keys = 4;
        int perKey = 25;
        try {
            for (int i = 0; i < perKey; i++) {
                for (int k = 0; k < keys; k++) {
                    Message m = new Message(topic, "o", ("k" + k + ":" + i).getBytes(StandardCharsets.UTF_8));
                    p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), k);
                }
            }
        } finally {
            p.shutdown();
        }
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("ord"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("oc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeThreadMin(8);
        c.setConsumeThreadMax(8);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String[] parts = new String(m.getBody(), StandardCharsets.UTF_8).split(":");
                seen.computeIfAbsent(parts[0], x -> new CopyOnWriteArrayList<>()).add(Integer.parseInt(parts[1]));
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        try {
            waitFor(() -> seen.values().stream().mapToInt(List::size).sum() >= keys * perKey, 40);
        } finally {
            c.shutdown();
        }
        assertEquals(keys, seen.size());
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < perKey; i++) {
            expected.add(i);
        }
        for (Map.Entry<String, List<Integer>> e : seen.entrySet()) {
            assertEquals(expected, e.getValue(), "order of " + e.getKey());
        }
    }

    @Test
    void litePullWithSeek() throws Exception {
        String topic = CompatSupport.uniqueTopic("lite");
        Map<String, String> sent = produce(topic, 12);
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(CompatSupport.uniqueConsumerGroup("lite"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("lc"));
        c.setAutoCommit(false);
        c.start();
        try {
            Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
            c.assign(mqs);
            for (MessageQueue mq : mqs) {
                c.seek(mq, 0);
            }
            Map<String, String> got = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.size() < sent.size() && System.nanoTime() < deadline) {
                for (MessageExt m : c.poll(1000)) {
                    got.put(m.getMsgId(), new String(m.getBody(), StandardCharsets.UTF_8));
                }
            }
            assertEquals(sent, got);
            // Seek every queue back to its start and read everything again (a single queue
            // could be one the producer skipped, with nothing to re-read).
            for (MessageQueue mq : mqs) {
                c.seek(mq, 0);
            }
            Set<String> again = new HashSet<>();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (again.size() < sent.size() && System.nanoTime() < deadline) {
                for (MessageExt m : c.poll(1000)) {
                    again.add(m.getMsgId());
                }
            }
            assertEquals(sent.keySet(), again, "messages re-read after seek");
        } finally {
            c.shutdown();
        }
    }
}
