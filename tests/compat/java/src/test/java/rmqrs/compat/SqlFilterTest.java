package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SQL92 selectors (issue 22): a push consumer subscribed with {@code MessageSelector.bySql}
 * receives only the messages whose user properties match; a malformed expression fails the
 * consumer's start with the broker's parse error (CHECK_CLIENT_CONFIG). The cluster runs with
 * {@code enablePropertyFilter=true} (tests/compat/cluster.sh).
 */
@Tag(CompatSupport.BROKER)
class SqlFilterTest {
    private static DefaultMQPushConsumer consumer(String group, String topic, String sql,
            Set<String> received) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("sqlc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, MessageSelector.bySql(sql));
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                received.add(new String(m.getBody(), StandardCharsets.UTF_8));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        return c;
    }

    @Test
    void bySqlReceivesOnlyMatchingMessages() throws Exception {
        String topic = CompatSupport.uniqueTopic("sql");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("sql"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("sqlp"));
        p.start();
        Set<String> wanted = new HashSet<>();
        try {
            for (int i = 0; i < 20; i++) {
                Message m = new Message(topic, "TagA", ("m" + i).getBytes(StandardCharsets.UTF_8));
                m.putUserProperty("a", Integer.toString(i));
                m.putUserProperty("region", i % 2 == 0 ? "hz" : "bj");
                p.send(m);
                if (i >= 10 && i % 2 == 0) {
                    wanted.add("m" + i);
                }
            }
        } finally {
            p.shutdown();
        }
        Set<String> received = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = consumer(CompatSupport.uniqueConsumerGroup("sql"), topic,
            "a >= 10 AND region = 'hz'", received);
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.size() < wanted.size() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(1000);
        } finally {
            c.shutdown();
        }
        assertEquals(wanted, received);
    }

    @Test
    void aMalformedExpressionFailsAtStart() throws Exception {
        String topic = CompatSupport.uniqueTopic("sqlbad");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("sqlbad"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("sqlbp"));
        p.start();
        try {
            p.send(new Message(topic, "TagA", "x".getBytes(StandardCharsets.UTF_8)));
        } finally {
            p.shutdown();
        }
        DefaultMQPushConsumer c = consumer(CompatSupport.uniqueConsumerGroup("sqlbad"), topic, "a > AND",
            ConcurrentHashMap.newKeySet());
        Exception e = assertThrows(Exception.class, c::start);
        c.shutdown();
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        assertTrue(all.toString().contains("line 1, column 5"), all.toString());
    }
}
