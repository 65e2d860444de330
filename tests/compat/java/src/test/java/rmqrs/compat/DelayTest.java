package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Delay levels and timer messages through the official client: each message arrives no earlier
 * than its time and within the 1 s precision after it, exactly once. The runner's broker uses
 * 1 s delay levels. Timers: 5.x sets TIMER_DELIVER_MS with setDeliverTimeMs, 4.9 clients set the
 * property by hand; the ONS-style __STARTDELIVERTIME works on both.
 */
@Tag(CompatSupport.BROKER)
class DelayTest {
    /** Received messages by body: store time on the real topic, times seen. */
    private final Map<String, Long> stored = new ConcurrentHashMap<>();
    private final Map<String, Integer> seen = new ConcurrentHashMap<>();
    /** Delay level of each received message, as the official client reads it. */
    private final Map<String, Integer> levels = new ConcurrentHashMap<>();

    private DefaultMQPushConsumer consumer(String topic) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("delay"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("dc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                stored.put(body, m.getStoreTimestamp());
                seen.merge(body, 1, Integer::sum);
                levels.put(body, m.getDelayTimeLevel());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return c;
    }

    private void awaitBodies(Set<String> bodies, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!stored.keySet().containsAll(bodies) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(1500); // nothing twice
    }

    private static DefaultMQProducer producer() throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("delay"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("dp"));
        p.start();
        return p;
    }

    private static void setDeliverTime(Message m, long at) {
        try {
            Method set = m.getClass().getMethod("setDeliverTimeMs", long.class);
            set.invoke(m, at);
        } catch (ReflectiveOperationException notIn49) {
            m.putUserProperty("TIMER_DELIVER_MS", Long.toString(at));
        }
    }

    @Test
    void delayLevelAndTimerMessagesArriveOnTime() throws Exception {
        String topic = CompatSupport.uniqueTopic("delay");
        DefaultMQProducer p = producer();
        long levelSent;
        long timerAt;
        long startAt;
        try {
            // Creates the topic and its route before the consumer starts.
            assertEquals(SendStatus.SEND_OK, p.send(new Message(topic, "now".getBytes(StandardCharsets.UTF_8))).getSendStatus());
            Message level = new Message(topic, "TagL", "level".getBytes(StandardCharsets.UTF_8));
            level.setDelayTimeLevel(3);
            levelSent = System.currentTimeMillis();
            SendResult r = p.send(level);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());

            Message timer = new Message(topic, "TagT", "timer".getBytes(StandardCharsets.UTF_8));
            timerAt = System.currentTimeMillis() + 3000;
            setDeliverTime(timer, timerAt);
            assertEquals(SendStatus.SEND_OK, p.send(timer).getSendStatus());

            Message start = new Message(topic, "TagS", "start".getBytes(StandardCharsets.UTF_8));
            startAt = System.currentTimeMillis() + 2000;
            start.putUserProperty("__STARTDELIVERTIME", Long.toString(startAt));
            assertEquals(SendStatus.SEND_OK, p.send(start).getSendStatus());
        } finally {
            p.shutdown();
        }
        DefaultMQPushConsumer c = consumer(topic);
        try {
            awaitBodies(Set.of("now", "level", "timer", "start"), 30);
        } finally {
            c.shutdown();
        }
        assertEquals(Map.of("now", 1, "level", 1, "timer", 1, "start", 1), seen, "each exactly once");
        long level = stored.get("level") - levelSent;
        assertTrue(level >= 1000 && level < 3000, "delay level 3 (1 s here) took " + level + " ms");
        // Apache RocketMQ keeps DELAY on the delivered message.
        assertEquals(3, levels.get("level"), "getDelayTimeLevel() of the delivered message");
        assertEquals(0, levels.get("now"), "getDelayTimeLevel() of an undelayed message");
        long timerLate = stored.get("timer") - timerAt;
        assertTrue(timerLate >= 0 && timerLate <= 1500, "timer delivered " + timerLate + " ms after its time");
        long startLate = stored.get("start") - startAt;
        assertTrue(startLate >= 0 && startLate <= 1500, "__STARTDELIVERTIME delivered " + startLate + " ms after its time");
    }
}
