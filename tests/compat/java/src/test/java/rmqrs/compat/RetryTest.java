package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RECONSUME_LATER goes through %RETRY%group and comes back with RECONSUME_TIME counting up;
 * after maxReconsumeTimes the message lands in %DLQ%group. The runner's broker uses 1 s delay
 * levels so the scenario is quick.
 */
@Tag(CompatSupport.BROKER)
class RetryTest {
    private static DefaultMQProducer producer(String topic) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("retry"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("rp"));
        p.start();
        return p;
    }

    @Test
    void reconsumeLaterThreeTimesThenSuccess() throws Exception {
        String topic = CompatSupport.uniqueTopic("retry");
        DefaultMQProducer p = producer(topic);
        SendResult sent;
        try {
            sent = p.send(new Message(topic, "TagR", "retry-me".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, sent.getSendStatus());
        } finally {
            p.shutdown();
        }
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        Map<String, Boolean> ids = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("retry"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("rc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                attempts.add(m.getReconsumeTimes());
                ids.put(m.getMsgId(), true);
                assertEquals("retry-me", new String(m.getBody(), StandardCharsets.UTF_8));
            }
            return attempts.size() <= 3 ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (attempts.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(1500); // no fifth delivery after success
        } finally {
            c.shutdown();
        }
        assertEquals(List.of(0, 1, 2, 3), attempts);
        assertEquals(Map.of(sent.getMsgId(), true), ids, "the same message id every time");
    }

    @Test
    void alwaysFailingGoesToTheDeadLetterQueue() throws Exception {
        String topic = CompatSupport.uniqueTopic("dlq");
        String group = CompatSupport.uniqueConsumerGroup("dlq");
        DefaultMQProducer p = producer(topic);
        SendResult sent;
        try {
            sent = p.send(new Message(topic, "TagD", "doomed".getBytes(StandardCharsets.UTF_8)));
        } finally {
            p.shutdown();
        }
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("dc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setMaxReconsumeTimes(2);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> attempts.add(m.getReconsumeTimes()));
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (attempts.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(2500);
        } finally {
            c.shutdown();
        }
        assertEquals(List.of(0, 1, 2), attempts, "first delivery plus maxReconsumeTimes retries");

        // The DLQ holds it, readable with a pull consumer.
        DefaultMQPullConsumer admin = new DefaultMQPullConsumer(CompatSupport.uniqueConsumerGroup("dlqreader"));
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("dr"));
        admin.start();
        try {
            String dlq = "%DLQ%" + group;
            MessageExt found = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (found == null && System.nanoTime() < deadline) {
                try {
                    for (MessageQueue mq : admin.fetchSubscribeMessageQueues(dlq)) {
                        PullResult r = admin.pull(mq, "*", 0, 32);
                        if (r.getPullStatus() == PullStatus.FOUND) {
                            found = r.getMsgFoundList().get(0);
                        }
                    }
                } catch (Exception notYet) {
                    // the DLQ route appears once the broker registers it
                }
                if (found == null) {
                    Thread.sleep(300);
                }
            }
            assertTrue(found != null, "message in " + dlq);
            assertEquals("doomed", new String(found.getBody(), StandardCharsets.UTF_8));
            assertEquals(sent.getMsgId(), found.getMsgId());
        } finally {
            admin.shutdown();
        }
    }
}
