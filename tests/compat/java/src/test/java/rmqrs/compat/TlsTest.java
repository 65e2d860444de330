package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
 * Issue 24: the official client started with -Dtls.enable=true (trusting any certificate, its
 * default test mode) sends and consumes through TLS against a cluster in permissive mode; a
 * client with TLS turned off is served on the same ports. Run by run-tls-compat.sh only.
 */
@Tag("tls")
class TlsTest {
    private static DefaultMQProducer producer(String name, boolean tls) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup(name));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName(name));
        p.setUseTLS(tls);
        p.start();
        return p;
    }

    private static Set<String> sendAll(DefaultMQProducer p, String topic, String prefix) throws Exception {
        Set<String> bodies = ConcurrentHashMap.newKeySet();
        try {
            for (int i = 0; i < 20; i++) {
                String body = prefix + i;
                SendResult r = p.send(new Message(topic, "T", body.getBytes(StandardCharsets.UTF_8)));
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                bodies.add(body);
            }
        } finally {
            p.shutdown();
        }
        return bodies;
    }

    @Test
    void tlsAndPlaintextClientsShareThePermissivePorts() throws Exception {
        assertEquals("true", System.getProperty("tls.enable"), "the runner passes -Dtls.enable=true");
        String topic = CompatSupport.uniqueTopic("tls");
        Set<String> sent = sendAll(producer("tlsp", true), topic, "tls-");
        sent.addAll(sendAll(producer("plainp", false), topic, "plain-"));

        Set<String> received = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("tls"));
        consumer.setNamesrvAddr(CompatSupport.namesrv());
        consumer.setInstanceName(CompatSupport.uniqueInstanceName("tlsc"));
        consumer.setUseTLS(true);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                received.add(new String(m.getBody(), StandardCharsets.UTF_8));
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
        assertTrue(received.containsAll(sent), "received " + received.size() + " of " + sent.size());
    }
}
