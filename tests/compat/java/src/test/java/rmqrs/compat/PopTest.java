package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The 5.x push consumer with server-side load balancing ({@code setClientRebalance(false)}),
 * and with its group switched to POP ({@code setMessageRequestMode}, what {@code mqadmin
 * setConsumeMode} calls): everything received, concurrently and orderly, RECONSUME_LATER
 * redelivered, and messages a consumer never acks delivered to another member after their
 * invisible time. 5.x APIs are reached by reflection (the suite also compiles against 4.9.x).
 */
@Tag(CompatSupport.BROKER)
class PopTest {
    @BeforeEach
    void onlyFiveX() {
        Assumptions.assumeTrue("rmq5".equals(CompatSupport.clientProfile()), "POP needs the 5.x client");
    }

    static Object call(Object target, String name, Object... args) throws Exception {
        for (Method m : target.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                return m.invoke(target, args);
            }
        }
        throw new NoSuchMethodException(name);
    }

    static DefaultMQAdminExt admin() throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("pa"));
        admin.start();
        return admin;
    }

    /** The masters' addresses. */
    static List<String> masters(DefaultMQAdminExt admin) throws Exception {
        List<String> out = new CopyOnWriteArrayList<>();
        for (var b : admin.examineBrokerClusterInfo().getBrokerAddrTable().values()) {
            String addr = b.getBrokerAddrs().get(0L);
            if (addr != null) {
                out.add(addr);
            }
        }
        return out;
    }

    /** A 4-queue topic on every master, and the group (POP when asked) on each. */
    static void prepare(String topic, String group, boolean pop) throws Exception {
        DefaultMQAdminExt admin = admin();
        try {
            for (String addr : masters(admin)) {
                var cfg = new org.apache.rocketmq.common.TopicConfig(topic);
                cfg.setReadQueueNums(4);
                cfg.setWriteQueueNums(4);
                admin.createAndUpdateTopicConfig(addr, cfg);
                Method create = null;
                for (Method m : admin.getClass().getMethods()) {
                    if (m.getName().equals("createAndUpdateSubscriptionGroupConfig") && m.getParameterCount() == 2) {
                        create = m;
                    }
                }
                Object groupCfg = create.getParameterTypes()[1].getConstructor().newInstance();
                call(groupCfg, "setGroupName", group);
                create.invoke(admin, addr, groupCfg);
                if (pop) {
                    Method set = null;
                    for (Method m : admin.getClass().getMethods()) {
                        if (m.getName().equals("setMessageRequestMode") && m.getParameterCount() == 6) {
                            set = m;
                        }
                    }
                    @SuppressWarnings({"unchecked", "rawtypes"})
                    Object mode = Enum.valueOf((Class) set.getParameterTypes()[3], "POP");
                    set.invoke(admin, addr, topic, group, mode, 0, 5000L);
                }
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

    private static Set<String> produce(String topic, int n, boolean keyed) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("pp"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("pp"));
        p.start();
        Set<String> bodies = new HashSet<>();
        try {
            for (int i = 0; i < n; i++) {
                String body = "k" + (i % 4) + "-" + i;
                Message m = new Message(topic, "t", body.getBytes(StandardCharsets.UTF_8));
                if (keyed) {
                    int key = i % 4;
                    p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), key);
                } else {
                    p.send(m);
                }
                bodies.add(body);
            }
        } finally {
            p.shutdown();
        }
        return bodies;
    }

    static DefaultMQPushConsumer consumer(String group, String topic) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("pc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        call(c, "setClientRebalance", false);
        call(c, "setPopInvisibleTime", 5000L);
        c.subscribe(topic, "*");
        return c;
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static String body(MessageExt m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    private void receivesAll(boolean pop) throws Exception {
        String topic = CompatSupport.uniqueTopic(pop ? "popall" : "sbal");
        String group = CompatSupport.uniqueConsumerGroup(pop ? "popall" : "sbal");
        prepare(topic, group, pop);
        Set<String> got = ConcurrentHashMap.newKeySet();
        Set<Boolean> popped = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = consumer(group, topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> got.add(body(m)));
            // A popped message carries its receipt handle (POP_CK); a pulled one does not.
            msgs.forEach(m -> popped.add(m.getProperty("POP_CK") != null));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            Set<String> sent = produce(topic, 40, false);
            waitFor(() -> got.containsAll(sent), 60);
            assertEquals(sent, got);
            assertEquals(Set.of(pop), popped, pop ? "every message popped" : "every message pulled");
        } finally {
            c.shutdown();
        }
    }

    @Test
    void serverBalancedConsumerReceivesEverything() throws Exception {
        receivesAll(false);
    }

    @Test
    void groupSwitchedToPopReceivesEverything() throws Exception {
        receivesAll(true);
    }

    @Test
    void orderlyKeepsPerQueueOrder() throws Exception {
        String topic = CompatSupport.uniqueTopic("poporder");
        String group = CompatSupport.uniqueConsumerGroup("poporder");
        prepare(topic, group, true);
        Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
        AtomicInteger count = new AtomicInteger();
        DefaultMQPushConsumer c = consumer(group, topic);
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String[] parts = body(m).split("-");
                byKey.computeIfAbsent(parts[0], k -> new CopyOnWriteArrayList<>()).add(Integer.parseInt(parts[1]));
                count.incrementAndGet();
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        try {
            produce(topic, 40, true);
            waitFor(() -> count.get() >= 40, 60);
            assertEquals(40, count.get());
            for (List<Integer> seq : byKey.values()) {
                for (int i = 1; i < seq.size(); i++) {
                    assertTrue(seq.get(i - 1) < seq.get(i), "out of order: " + seq);
                }
            }
        } finally {
            c.shutdown();
        }
    }

    @Test
    void reconsumeLaterIsRedelivered() throws Exception {
        String topic = CompatSupport.uniqueTopic("popretry");
        String group = CompatSupport.uniqueConsumerGroup("popretry");
        prepare(topic, group, true);
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = consumer(group, topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            boolean first = false;
            for (MessageExt m : msgs) {
                first |= seen.computeIfAbsent(body(m), k -> new AtomicInteger()).incrementAndGet() == 1;
            }
            return first ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            Set<String> sent = produce(topic, 4, false);
            waitFor(() -> sent.stream().allMatch(b -> seen.containsKey(b) && seen.get(b).get() >= 2), 90);
            for (String b : sent) {
                assertTrue(seen.containsKey(b) && seen.get(b).get() >= 2, b + " seen " + seen.get(b));
            }
        } finally {
            c.shutdown();
        }
    }

    @Test
    void unackedMessagesGoToAnotherConsumerAfterTheInvisibleTime() throws Exception {
        String topic = CompatSupport.uniqueTopic("popdead");
        String group = CompatSupport.uniqueConsumerGroup("popdead");
        prepare(topic, group, true);
        CountDownLatch never = new CountDownLatch(1);
        Set<String> stuck = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer dead = consumer(group, topic);
        dead.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> stuck.add(body(m)));
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });
        dead.start();
        Set<String> sent = produce(topic, 8, false);
        waitFor(() -> !stuck.isEmpty(), 30);
        assertTrue(!stuck.isEmpty(), "the first consumer never got a message");
        // It goes away holding them unacked (its listener threads stay blocked).
        dead.shutdown();
        Set<String> got = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer alive = consumer(group, topic);
        alive.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> got.add(body(m)));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        alive.start();
        try {
            waitFor(() -> got.containsAll(stuck), 60);
            assertTrue(got.containsAll(stuck), "held by the silent consumer " + stuck + ", redelivered " + got);
        } finally {
            alive.shutdown();
            never.countDown();
        }
    }
}
