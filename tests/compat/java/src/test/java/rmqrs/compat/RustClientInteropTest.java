package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Our Rust client and the official Java client on the same topics: messages sent by one are
 * consumed by the other with tags, keys, user properties and compressed (over 4 KiB) bodies
 * intact. The runner passes our example driver ({@code crates/client/examples/interop.rs}) in
 * the RUST_INTEROP environment variable.
 */
@Tag(CompatSupport.BROKER)
class RustClientInteropTest {
    private static final int N = 12;

    private static String driver() {
        String d = System.getenv("RUST_INTEROP");
        Assumptions.assumeTrue(d != null && !d.isBlank(), "RUST_INTEROP not set");
        return d;
    }

    private static String body(int i) {
        return i % 3 == 0 ? "big-" + i + "-" + "r".repeat(6000) : "small-" + i;
    }

    private static List<String> run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(driver());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "driver finished");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "driver failed: " + err);
        return lines;
    }

    @Test
    void rustProducerToJavaConsumer() throws Exception {
        String topic = CompatSupport.uniqueTopic("rust2java");
        List<String> sent = run("send", CompatSupport.namesrv(), topic, Integer.toString(N));
        assertEquals(N, sent.size());
        Map<String, MessageExt> got = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("r2j"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("r2j"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> got.put(m.getMsgId(), m));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (got.size() < N && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
        } finally {
            c.shutdown();
        }
        assertEquals(N, got.size());
        for (String line : sent) {
            String id = line.substring("SENT ".length());
            MessageExt m = got.get(id);
            assertTrue(m != null, "message " + id + " received with the id our client generated");
            int idx = Integer.parseInt(m.getUserProperty("idx"));
            assertEquals(body(idx), new String(m.getBody(), StandardCharsets.UTF_8), "body (inflated) of " + idx);
            assertEquals("TagI", m.getTags());
            assertEquals("key-" + idx, m.getKeys());
        }
    }

    @Test
    void javaProducerToRustConsumer() throws Exception {
        String topic = CompatSupport.uniqueTopic("java2rust");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("j2r"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("j2r"));
        p.start();
        Map<String, Integer> ids = new HashMap<>();
        try {
            for (int i = 0; i < N; i++) {
                Message m = new Message(topic, "TagI", "key-" + i, body(i).getBytes(StandardCharsets.UTF_8));
                m.putUserProperty("idx", Integer.toString(i));
                SendResult r = p.send(m);
                ids.put(r.getMsgId(), i);
            }
        } finally {
            p.shutdown();
        }
        List<String> lines = run("consume", CompatSupport.namesrv(), topic, CompatSupport.uniqueConsumerGroup("j2rc"),
            Integer.toString(N), "40");
        Map<String, Map<String, Object>> got = new HashMap<>();
        for (String line : lines) {
            Object parsed = MiniJson.parse(line);
            @SuppressWarnings("unchecked")
            Map<String, Object> o = (Map<String, Object>) parsed;
            got.put((String) o.get("msgId"), o);
        }
        assertEquals(ids.keySet(), got.keySet(), "every message once, under the Java client's id");
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            Map<String, Object> o = got.get(e.getKey());
            int i = e.getValue();
            assertEquals(body(i), o.get("body"), "body (inflated by our client) of " + i);
            assertEquals("TagI", o.get("tags"));
            assertEquals("key-" + i, o.get("keys"));
            assertEquals(Integer.toString(i), o.get("idx"));
        }
    }
}
