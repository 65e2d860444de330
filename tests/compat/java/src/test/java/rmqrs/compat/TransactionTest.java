package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The official TransactionMQProducer against our broker: a committed message is delivered once,
 * a rolled-back one never, and one left UNKNOW is committed when the broker checks back (the
 * runner's broker checks every second after one second).
 */
@Tag(CompatSupport.BROKER)
class TransactionTest {
    @Test
    void commitRollbackAndCheckBack() throws Exception {
        String topic = CompatSupport.uniqueTopic("tx");
        AtomicInteger checks = new AtomicInteger();
        TransactionMQProducer p = new TransactionMQProducer(CompatSupport.uniqueProducerGroup("tx"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("txp"));
        p.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                String b = new String(msg.getBody(), StandardCharsets.UTF_8);
                return switch (b) {
                    case "commit" -> LocalTransactionState.COMMIT_MESSAGE;
                    case "rollback" -> LocalTransactionState.ROLLBACK_MESSAGE;
                    default -> LocalTransactionState.UNKNOW;
                };
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                checks.incrementAndGet();
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        p.start();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("tx"));
        try {
            for (String b : new String[] {"commit", "rollback", "unknown"}) {
                TransactionSendResult r = p.sendMessageInTransaction(new Message(topic, b.getBytes(StandardCharsets.UTF_8)), null);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus(), b);
            }
            c.setNamesrvAddr(CompatSupport.namesrv());
            c.setInstanceName(CompatSupport.uniqueInstanceName("txc"));
            c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            c.subscribe(topic, "*");
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                msgs.forEach(m -> seen.merge(new String(m.getBody(), StandardCharsets.UTF_8), 1, Integer::sum));
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            c.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!seen.containsKey("unknown") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(2000);
        } finally {
            c.shutdown();
            p.shutdown();
        }
        assertEquals(Map.of("commit", 1, "unknown", 1), seen, "committed once each, the rollback never");
        assertTrue(checks.get() >= 1, "the broker checked back");
    }
}
