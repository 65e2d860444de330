package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Sync, async, one-way and batch sends; keys, tags, user properties, compressed bodies; query by key and id. */
@Tag(CompatSupport.BROKER)
class SendModesTest {
    private static DefaultMQProducer producer() throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("modes"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("mp"));
        p.start();
        return p;
    }

    /** Consumes `topic` from the first offset until `expected` bodies arrived (by unique id). */
    private static Map<String, MessageExt> consumeAll(String topic, String expr, int expected) throws Exception {
        Map<String, MessageExt> got = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("modes"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("mc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, expr);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> got.put(m.getMsgId(), m));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (got.size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
        } finally {
            c.shutdown();
        }
        return got;
    }

    @Test
    void syncAsyncOnewayAndBatch() throws Exception {
        String topic = CompatSupport.uniqueTopic("modes");
        DefaultMQProducer p = producer();
        Map<String, String> sent = new ConcurrentHashMap<>();
        try {
            SendResult r = p.send(new Message(topic, "a", "sync".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            sent.put(r.getMsgId(), "sync");
            CountDownLatch done = new CountDownLatch(10);
            for (int i = 0; i < 10; i++) {
                String body = "async-" + i;
                p.send(new Message(topic, "a", body.getBytes(StandardCharsets.UTF_8)), new SendCallback() {
                    @Override
                    public void onSuccess(SendResult res) {
                        sent.put(res.getMsgId(), body);
                        done.countDown();
                    }

                    @Override
                    public void onException(Throwable e) {
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            Message oneway = new Message(topic, "a", "oneway".getBytes(StandardCharsets.UTF_8));
            p.sendOneway(oneway);
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(new Message(topic, "b", ("batch-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            SendResult br = p.send(batch);
            assertEquals(SendStatus.SEND_OK, br.getSendStatus());
            assertEquals(5, br.getMsgId().split(",").length, br.getMsgId());
            assertEquals(5, br.getOffsetMsgId().split(",").length, br.getOffsetMsgId());
            int i = 0;
            for (String id : br.getMsgId().split(",")) {
                sent.put(id, "batch-" + i++);
            }
        } finally {
            p.shutdown();
        }
        assertEquals(16, sent.size());
        Map<String, MessageExt> got = consumeAll(topic, "*", 17);
        Map<String, String> bodies = new HashMap<>();
        got.forEach((id, m) -> bodies.put(id, new String(m.getBody(), StandardCharsets.UTF_8)));
        for (Map.Entry<String, String> e : sent.entrySet()) {
            assertEquals(e.getValue(), bodies.get(e.getKey()), "message " + e.getKey());
        }
        assertTrue(bodies.containsValue("oneway"));
        assertEquals(17, bodies.size());
    }

    @Test
    void keysTagsPropertiesCompressedBodyAndQueries() throws Exception {
        String topic = CompatSupport.uniqueTopic("props");
        DefaultMQProducer p = producer();
        String big = "x".repeat(10_000) + "end";
        SendResult r;
        try {
            Message m = new Message(topic, "TagP", "key-1 key-2", big.getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("color", "blue");
            r = p.send(m);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            // Query by key and by offset id through the official client API.
            Thread.sleep(200);
            var byKey = p.queryMessage(topic, "key-2", 10, 0, Long.MAX_VALUE);
            assertEquals(1, byKey.getMessageList().size());
            assertEquals(big, new String(byKey.getMessageList().get(0).getBody(), StandardCharsets.UTF_8));
            var admin = new org.apache.rocketmq.tools.admin.DefaultMQAdminExt();
            admin.setNamesrvAddr(CompatSupport.namesrv());
            admin.setInstanceName(CompatSupport.uniqueInstanceName("ma"));
            admin.start();
            try {
                MessageExt byId = admin.viewMessage(topic, r.getOffsetMsgId());
                assertNotNull(byId);
                assertEquals("blue", byId.getUserProperty("color"));
            } finally {
                admin.shutdown();
            }
        } finally {
            p.shutdown();
        }
        Map<String, MessageExt> got = consumeAll(topic, "TagP", 1);
        MessageExt m = got.get(r.getMsgId());
        assertNotNull(m, "received by unique id");
        assertEquals(big, new String(m.getBody(), StandardCharsets.UTF_8), "decompressed body");
        assertEquals("TagP", m.getTags());
        assertEquals("key-1 key-2", m.getKeys());
        assertEquals("blue", m.getUserProperty("color"));
    }

    @Test
    void tagFilterWithOr() throws Exception {
        String topic = CompatSupport.uniqueTopic("tags");
        DefaultMQProducer p = producer();
        Map<String, String> wanted = new HashMap<>();
        try {
            for (String tag : new String[] {"a", "b", "c", "a", "c", "b"}) {
                SendResult r = p.send(new Message(topic, tag, ("body-" + tag).getBytes(StandardCharsets.UTF_8)));
                if (!tag.equals("c")) {
                    wanted.put(r.getMsgId(), tag);
                }
            }
        } finally {
            p.shutdown();
        }
        Map<String, MessageExt> got = consumeAll(topic, "a || b", 4);
        Map<String, String> tags = new HashMap<>();
        got.forEach((id, m) -> tags.put(id, m.getTags()));
        assertEquals(wanted, tags);
    }
}
