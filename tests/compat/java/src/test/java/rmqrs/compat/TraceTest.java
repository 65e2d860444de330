package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Traces written by the official client (enableMsgTrace=true) land on our broker's trace topic,
 * indexed by message id, and our admin CLI ({@code mqadmin queryMsgTraceById}) shows the send and
 * consume records.
 */
@Tag(CompatSupport.BROKER)
class TraceTest {
    /** A client with tracing on, through whichever constructor (or setter) this client line has. */
    private static <T> T traced(Class<T> type, String group) throws Exception {
        try {
            return type.getConstructor(String.class, boolean.class, String.class).newInstance(group, true, null);
        } catch (NoSuchMethodException noTopicArg) {
            // fall through
        }
        try {
            return type.getConstructor(String.class, boolean.class).newInstance(group, true);
        } catch (NoSuchMethodException in5) {
            T client = type.getConstructor(String.class).newInstance(group);
            type.getMethod("setEnableTrace", boolean.class).invoke(client, true);
            return client;
        }
    }

    @Test
    void officialTracesAreReadByOurReader() throws Exception {
        String topic = CompatSupport.uniqueTopic("trace");
        String pg = CompatSupport.uniqueProducerGroup("trace");
        String cg = CompatSupport.uniqueConsumerGroup("trace");
        DefaultMQProducer p = traced(DefaultMQProducer.class, pg);
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("trp"));
        p.start();
        SendResult sent;
        AtomicInteger consumed = new AtomicInteger();
        DefaultMQPushConsumer c = traced(DefaultMQPushConsumer.class, cg);
        try {
            sent = p.send(new Message(topic, "TagTr", "key-tr", "traced".getBytes(StandardCharsets.UTF_8)));
            c.setNamesrvAddr(CompatSupport.namesrv());
            c.setInstanceName(CompatSupport.uniqueInstanceName("trc"));
            c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            c.subscribe(topic, "*");
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                consumed.addAndGet(msgs.size());
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            c.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumed.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, consumed.get());
            // Our admin CLI reads the trace (exit 3 until the trace messages are indexed).
            String mqadmin = System.getProperty("mqadmin");
            if (mqadmin == null || mqadmin.isBlank()) {
                mqadmin = System.getenv("MQADMIN_BIN");
            }
            Assumptions.assumeTrue(mqadmin != null && !mqadmin.isBlank(), "our mqadmin binary not given");
            List<String> lines = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (System.nanoTime() < until) {
                Process proc = new ProcessBuilder(mqadmin, "-n", CompatSupport.namesrv(), "--json",
                    "queryMsgTraceById", "-i", sent.getMsgId()).start();
                String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
                lines.clear();
                if (proc.exitValue() == 0) {
                    @SuppressWarnings("unchecked")
                    List<Object> records = (List<Object>) MiniJson.parse(out);
                    for (Object r : records) {
                        lines.add(MiniJson.write(r));
                    }
                    if (out.contains("\"Pub\"") && out.contains("\"SubAfter\"")) {
                        break;
                    }
                }
                Thread.sleep(500);
            }
            boolean pub = false;
            boolean after = false;
            for (String line : lines) {
                @SuppressWarnings("unchecked")
                Map<String, Object> o = (Map<String, Object>) MiniJson.parse(line);
                if ("Pub".equals(o.get("kind"))) {
                    pub = true;
                    assertEquals(pg, o.get("group"));
                    assertEquals(topic, o.get("topic"));
                    assertEquals("TagTr", o.get("tags"));
                    assertEquals("key-tr", o.get("keys"));
                }
                if ("SubAfter".equals(o.get("kind"))) {
                    after = true;
                    assertEquals(Boolean.TRUE, o.get("success"));
                }
            }
            assertTrue(pub, "send trace read: " + lines);
            // 5.x writes a consume trace only for messages that carry the broker's MSG_REGION.
            assertTrue(after, "consume trace read: " + lines);
        } finally {
            c.shutdown();
            p.shutdown();
        }
    }
}
