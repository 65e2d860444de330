package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A push consumer whose rebalance heartbeat never reaches the brokers still consumes.
 *
 * <p>On a rebalance change the official client stamps a new subscription version and sends a
 * heartbeat under a try-lock; pulls carry the new version at once. When another heartbeat holds
 * the lock (with 5.x the periodic one fires about 1 s after start, just when the first rebalance
 * runs), the brokers keep the old version until the next heartbeat 30 s later, and RocketMQ's
 * SUBSCRIPTION_NOT_LATEST stalls the consumer that long. Here the test thread holds the client's
 * heartbeat lock for the whole scenario, which makes that race certain: only the start-up
 * heartbeat (same thread, the lock is reentrant) registers the consumer.
 */
@Tag(CompatSupport.BROKER)
class SubscriptionVersionTest {
    @Test
    void consumesWhileTheRebalanceHeartbeatIsLost() throws Exception {
        String topic = CompatSupport.uniqueTopic("subver");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("subver"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("svp"));
        p.start();
        Map<String, String> wanted = new HashMap<>();
        try {
            for (int i = 0; i < 30; i++) {
                String tag = "Tag" + "ABC".charAt(i % 3);
                String body = tag + "-" + i;
                SendResult r = p.send(new Message(topic, tag, body.getBytes(StandardCharsets.UTF_8)));
                if (!tag.equals("TagC")) {
                    wanted.put(r.getMsgId(), body);
                }
            }
        } finally {
            p.shutdown();
        }

        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("subver"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("svc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "TagA || TagB");
        Map<String, String> received = new ConcurrentHashMap<>();
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                received.put(m.getMsgId(), new String(m.getBody(), StandardCharsets.UTF_8));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        // The consumer's start looks up this same instance (same client id).
        MQClientInstance instance = MQClientManager.getInstance().getOrCreateMQClientInstance(c);
        Field f = MQClientInstance.class.getDeclaredField("lockHeartbeat");
        f.setAccessible(true);
        Lock heartbeat = (Lock) f.get(instance);
        heartbeat.lock();
        try {
            c.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (received.size() < wanted.size() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        } finally {
            heartbeat.unlock();
            c.shutdown();
        }
        // Every TagA/TagB message, no TagC one, within 20 s (the next heartbeat would come at 30 s).
        assertEquals(wanted, received);
        assertTrue(received.values().stream().noneMatch(b -> b.startsWith("TagC")));
    }
}
