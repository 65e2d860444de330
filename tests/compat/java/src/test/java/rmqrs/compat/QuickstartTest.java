package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The official quickstart, unchanged: a DefaultMQProducer sends 1000 messages with tags, a
 * DefaultMQPushConsumer in clustering mode receives every one of them.
 */
@Tag(CompatSupport.BROKER)
class QuickstartTest {
    @Test
    void producerSendsAndPushConsumerReceivesAll() throws Exception {
        String topic = CompatSupport.uniqueTopic("quickstart");
        DefaultMQProducer producer = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("quickstart"));
        producer.setNamesrvAddr(CompatSupport.namesrv());
        producer.setInstanceName(CompatSupport.uniqueInstanceName("p"));
        producer.start();
        Map<String, String> sent = new ConcurrentHashMap<>();
        try {
            for (int i = 0; i < 1000; i++) {
                String body = "Hello RocketMQ " + i;
                Message msg = new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8));
                SendResult r = producer.send(msg);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                assertTrue(r.getOffsetMsgId() != null && r.getOffsetMsgId().length() == 32, r.toString());
                sent.put(r.getMsgId(), body);
            }
        } finally {
            producer.shutdown();
        }
        assertEquals(1000, sent.size());

        Map<String, String> received = new ConcurrentHashMap<>();
        Set<String> tags = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("quickstart"));
        consumer.setNamesrvAddr(CompatSupport.namesrv());
        consumer.setInstanceName(CompatSupport.uniqueInstanceName("c"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                received.put(m.getMsgId(), new String(m.getBody(), StandardCharsets.UTF_8));
                tags.add(m.getTags());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.size() < sent.size() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        } finally {
            consumer.shutdown();
        }
        assertEquals(sent, received, "every message id and body received");
        assertEquals(Set.of("TagA"), tags);
    }
}
