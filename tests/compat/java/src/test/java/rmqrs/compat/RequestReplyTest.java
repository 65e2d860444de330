package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Request-reply (DefaultMQProducer.request, RocketMQ 4.6+) through our broker: a responder
 * answers each request with MessageUtil.createReplyMessage and our broker pushes the reply to the
 * requesting client (PUSH_REPLY_MESSAGE_TO_CLIENT). Sync, async (callback) and selector requests,
 * 5 of 5 replies with exact bodies; and our Rust client as responder and as requester (the
 * RUST_INTEROP driver, {@code crates/client/examples/interop.rs}).
 */
@Tag(CompatSupport.BROKER)
class RequestReplyTest {
    private static final int N = 5;
    private static final long TIMEOUT_MS = 10_000;

    private static DefaultMQProducer producer(String prefix) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup(prefix));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName(prefix));
        p.start();
        return p;
    }

    /**
     * Creates the topic (auto-created on one broker by a first send) with a producer of its own:
     * a producer that auto-created a topic keeps the template's route (every broker) for a while
     * and would spread the requests over brokers the responder has no route to yet.
     */
    private static void createTopic(String topic) throws Exception {
        DefaultMQProducer p = producer("creator");
        try {
            SendResult r = p.send(new Message(topic, "warm-up".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        } finally {
            p.shutdown();
        }
    }

    /**
     * A Java responder: answers every request on {@code topic} with
     * {@code reply-<request body>@<queue id>}; messages without REPLY_TO_CLIENT are not requests.
     */
    private static final class Responder implements AutoCloseable {
        final DefaultMQPushConsumer consumer;
        final DefaultMQProducer replier;

        Responder(String topic) throws Exception {
            replier = producer("replier");
            consumer = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("responder"));
            consumer.setNamesrvAddr(CompatSupport.namesrv());
            consumer.setInstanceName(CompatSupport.uniqueInstanceName("responder"));
            consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            consumer.subscribe(topic, "*");
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    if (MessageUtil.getReplyToClient(m) == null) {
                        continue;
                    }
                    String body = new String(m.getBody(), StandardCharsets.UTF_8);
                    try {
                        Message reply = MessageUtil.createReplyMessage(m,
                            ("reply-" + body + "@" + m.getQueueId()).getBytes(StandardCharsets.UTF_8));
                        replier.send(reply, 5000);
                    } catch (Exception e) {
                        System.err.println("responder: replying to " + body + " failed: " + e);
                        return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            consumer.start();
        }

        @Override
        public void close() {
            consumer.shutdown();
            replier.shutdown();
        }
    }

    private static String text(Message m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    @Test
    void syncRequestsGetTheirReplies() throws Exception {
        String topic = CompatSupport.uniqueTopic("rr_sync");
        createTopic(topic);
        DefaultMQProducer requester = producer("requester");
        try {
            try (Responder responder = new Responder(topic)) {
                Map<String, String> replies = new TreeMap<>();
                Map<String, String> expected = new TreeMap<>();
                for (int i = 0; i < N; i++) {
                    Message req = new Message(topic, ("req-" + i).getBytes(StandardCharsets.UTF_8));
                    Message reply = requester.request(req, TIMEOUT_MS);
                    assertNotNull(reply, "reply to req-" + i);
                    String body = text(reply);
                    replies.put("req-" + i, body.substring(0, body.indexOf('@')));
                    expected.put("req-" + i, "reply-req-" + i);
                    assertEquals(req.getProperty("CORRELATION_ID"), reply.getProperty("CORRELATION_ID"),
                        "the reply carries the request's correlation id");
                    assertTrue(reply.getTopic().endsWith("_REPLY_TOPIC"), "reply topic " + reply.getTopic());
                }
                assertEquals(expected, replies);
            }
        } finally {
            requester.shutdown();
        }
    }

    @Test
    void asyncRequestsCallBackWithTheirReplies() throws Exception {
        String topic = CompatSupport.uniqueTopic("rr_async");
        createTopic(topic);
        DefaultMQProducer requester = producer("requester_async");
        try {
            try (Responder responder = new Responder(topic)) {
                Map<String, String> replies = new ConcurrentHashMap<>();
                List<Throwable> errors = new ArrayList<>();
                CountDownLatch done = new CountDownLatch(N);
                for (int i = 0; i < N; i++) {
                    String body = "areq-" + i;
                    requester.request(new Message(topic, body.getBytes(StandardCharsets.UTF_8)), new RequestCallback() {
                        @Override
                        public void onSuccess(Message reply) {
                            String t = text(reply);
                            replies.put(body, t.substring(0, t.indexOf('@')));
                            done.countDown();
                        }

                        @Override
                        public void onException(Throwable e) {
                            synchronized (errors) {
                                errors.add(e);
                            }
                            done.countDown();
                        }
                    }, TIMEOUT_MS);
                }
                assertTrue(done.await(TIMEOUT_MS + 5000, TimeUnit.MILLISECONDS), "every callback ran");
                assertEquals(List.of(), errors);
                Map<String, String> expected = new TreeMap<>();
                for (int i = 0; i < N; i++) {
                    expected.put("areq-" + i, "reply-areq-" + i);
                }
                assertEquals(expected, new TreeMap<>(replies));
            }
        } finally {
            requester.shutdown();
        }
    }

    @Test
    void selectorRequestsGoToTheChosenQueue() throws Exception {
        String topic = CompatSupport.uniqueTopic("rr_selector");
        createTopic(topic);
        DefaultMQProducer requester = producer("requester_sel");
        try {
            try (Responder responder = new Responder(topic)) {
                Map<Integer, MessageQueue> chosen = new ConcurrentHashMap<>();
                for (int i = 0; i < N; i++) {
                    Message reply = requester.request(new Message(topic, ("sreq-" + i).getBytes(StandardCharsets.UTF_8)),
                        (mqs, msg, arg) -> {
                            int k = (Integer) arg;
                            MessageQueue q = mqs.get(mqs.size() - 1 - (k % mqs.size()));
                            chosen.put(k, q);
                            return q;
                        }, i, TIMEOUT_MS);
                    assertNotNull(reply, "reply to sreq-" + i);
                    assertEquals("reply-sreq-" + i + "@" + chosen.get(i).getQueueId(), text(reply),
                        "the request was stored on the selected queue");
                }
            }
        } finally {
            requester.shutdown();
        }
    }

    private static String driver() {
        String d = System.getenv("RUST_INTEROP");
        Assumptions.assumeTrue(d != null && !d.isBlank(), "RUST_INTEROP not set");
        return d;
    }

    @Test
    void javaRequesterRustResponder() throws Exception {
        String topic = CompatSupport.uniqueTopic("rr_j2r");
        createTopic(topic);
        DefaultMQProducer requester = producer("requester_j2r");
        Process p = null;
        try {
            p = new ProcessBuilder(driver(), "reply", CompatSupport.namesrv(), topic,
                CompatSupport.uniqueConsumerGroup("rust_responder"), Integer.toString(N), "60")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY", out.readLine(), "the Rust responder started");
            Map<String, String> replies = new TreeMap<>();
            Map<String, String> expected = new TreeMap<>();
            for (int i = 0; i < N; i++) {
                Message req = new Message(topic, ("jreq-" + i).getBytes(StandardCharsets.UTF_8));
                Message reply = requester.request(req, TIMEOUT_MS);
                assertNotNull(reply, "reply to jreq-" + i);
                replies.put("jreq-" + i, text(reply));
                expected.put("jreq-" + i, "rust-reply-jreq-" + i);
                assertEquals(req.getProperty("CORRELATION_ID"), reply.getProperty("CORRELATION_ID"));
            }
            assertEquals(expected, replies);
            Set<String> lines = new TreeSet<>();
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the Rust responder exits after " + N + " replies");
            assertEquals(0, p.exitValue());
            Set<String> want = new TreeSet<>();
            for (int i = 0; i < N; i++) {
                want.add("REPLIED jreq-" + i);
            }
            assertEquals(want, lines);
        } finally {
            if (p != null) {
                p.destroy();
            }
            requester.shutdown();
        }
    }

    @Test
    void rustRequesterJavaResponder() throws Exception {
        String topic = CompatSupport.uniqueTopic("rr_r2j");
        createTopic(topic);
        try (Responder responder = new Responder(topic)) {
            Process p = new ProcessBuilder(driver(), "request", CompatSupport.namesrv(), topic, Integer.toString(N),
                Long.toString(TIMEOUT_MS)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            }
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the Rust requester finished");
            assertEquals(0, p.exitValue(), "the Rust requester succeeded: " + lines);
            List<String> want = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                // The Java responder answers reply-<body>@<queue>; the driver prints the body.
                want.add("REPLY rreq-" + i + " reply-rreq-" + i);
            }
            List<String> got = new ArrayList<>();
            for (String l : lines) {
                got.add(l.substring(0, l.lastIndexOf('@')));
            }
            assertEquals(want, got);
        }
    }
}
