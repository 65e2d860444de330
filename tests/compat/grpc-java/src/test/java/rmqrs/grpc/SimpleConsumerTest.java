package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.junit.jupiter.api.Test;

/** Producer (sync, async) and SimpleConsumer (receive, ack, changeInvisibleDuration, tag filter). */
class SimpleConsumerTest {

    private static Message message(String topic, String tag, int i) {
        return Grpc.PROVIDER.newMessageBuilder()
            .setTopic(topic)
            .setTag(tag)
            .setKeys("key-" + i)
            .addProperty("index", Integer.toString(i))
            .setBody(Grpc.body("body-" + i))
            .build();
    }

    private static Set<String> ids(List<MessageView> views) {
        Set<String> ids = new HashSet<>();
        views.forEach(v -> ids.add(v.getMessageId().toString()));
        return ids;
    }

    @Test
    void syncAndAsyncSendsAreReceivedExactlyOnce() throws Exception {
        String topic = Grpc.topic("GrpcSend");
        String group = Grpc.group("GrpcSendG", false);
        Set<String> sent = new HashSet<>();
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            for (int i = 0; i < 10; i++) {
                sent.add(p.send(message(topic, "TagA", i)).getMessageId().toString());
            }
            List<CompletableFuture<SendReceipt>> pending = new ArrayList<>();
            for (int i = 10; i < 20; i++) {
                pending.add(p.sendAsync(message(topic, "TagA", i)));
            }
            for (CompletableFuture<SendReceipt> f : pending) {
                sent.add(f.get().getMessageId().toString());
            }
            assertEquals(20, sent.size());
            List<MessageView> got = Grpc.receiveAndAck(c, 20, Duration.ofSeconds(60));
            assertEquals(sent, ids(got));
            assertEquals(20, got.size(), "no duplicates");
            MessageView v = got.get(0);
            String index = v.getProperties().get("index");
            assertEquals("TagA", v.getTag().orElse(null));
            assertEquals(List.of("key-" + index), new ArrayList<>(v.getKeys()));
            assertEquals("body-" + index, StandardCharsets.UTF_8.decode(v.getBody()).toString());
            assertEquals(topic, v.getTopic());
            assertTrue(c.receive(16, Duration.ofSeconds(30)).isEmpty(), "all were acked");
        }
    }

    @Test
    void tagFilterReceivesOnlyMatchingTags() throws Exception {
        String topic = Grpc.topic("GrpcTag");
        String group = Grpc.group("GrpcTagG", false);
        Set<String> wanted = new HashSet<>();
        FilterExpression onlyA = new FilterExpression("TagA", FilterExpressionType.TAG);
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic, onlyA)) {
            for (int i = 0; i < 10; i++) {
                String tag = i % 2 == 0 ? "TagA" : "TagB";
                String id = p.send(message(topic, tag, i)).getMessageId().toString();
                if (tag.equals("TagA")) {
                    wanted.add(id);
                }
            }
            List<MessageView> got = Grpc.receiveAndAck(c, 5, Duration.ofSeconds(60));
            got.addAll(c.receive(16, Duration.ofSeconds(30)));
            assertEquals(wanted, ids(got));
            got.forEach(v -> assertEquals("TagA", v.getTag().orElse(null)));
        }
    }

    @Test
    void sqlFilterReceivesOnlyMatchingProperties() throws Exception {
        String topic = Grpc.topic("GrpcSql");
        String group = Grpc.group("GrpcSqlG", false);
        Set<String> wanted = new HashSet<>();
        FilterExpression over = new FilterExpression("index > 5", FilterExpressionType.SQL92);
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic, over)) {
            for (int i = 0; i < 10; i++) {
                String id = p.send(message(topic, "TagA", i)).getMessageId().toString();
                if (i > 5) {
                    wanted.add(id);
                }
            }
            List<MessageView> got = Grpc.receiveAndAck(c, 4, Duration.ofSeconds(60));
            got.addAll(c.receive(16, Duration.ofSeconds(30)));
            assertEquals(wanted, ids(got));
        }
    }

    @Test
    void changeInvisibleDurationRedeliversAfterTheNewDuration() throws Exception {
        String topic = Grpc.topic("GrpcCid");
        String group = Grpc.group("GrpcCidG", false);
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            String id = p.send(message(topic, "TagA", 0)).getMessageId().toString();
            MessageView first = receiveOne(c, Duration.ofSeconds(60));
            assertEquals(id, first.getMessageId().toString());
            long changed = System.currentTimeMillis();
            c.changeInvisibleDuration(first, Duration.ofSeconds(3));
            MessageView again = receiveOne(c, Duration.ofSeconds(30));
            assertEquals(id, again.getMessageId().toString());
            assertTrue(System.currentTimeMillis() - changed >= 2_000, "not visible before the new duration");
            assertEquals(2, again.getDeliveryAttempt());
            c.ack(again);
        }
    }

    @Test
    void unackedMessageIsRedeliveredAfterItsInvisibleTime() throws Exception {
        String topic = Grpc.topic("GrpcRedeliver");
        String group = Grpc.group("GrpcRedeliverG", false);
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            String id = p.send(message(topic, "TagA", 0)).getMessageId().toString();
            List<MessageView> first = new ArrayList<>();
            long end = System.currentTimeMillis() + 60_000;
            while (first.isEmpty() && System.currentTimeMillis() < end) {
                first = c.receive(1, Duration.ofSeconds(4));
            }
            assertEquals(id, first.get(0).getMessageId().toString());
            long popped = System.currentTimeMillis();
            MessageView again = receiveOne(c, Duration.ofSeconds(40));
            assertEquals(id, again.getMessageId().toString());
            assertTrue(System.currentTimeMillis() - popped >= 3_000, "invisible for its invisible time");
            assertEquals(2, again.getDeliveryAttempt());
            c.ack(again);
            assertFalse(c.receive(1, Duration.ofSeconds(30)).stream()
                .anyMatch(v -> v.getMessageId().toString().equals(id)), "acked after the redelivery");
        }
    }

    private static MessageView receiveOne(SimpleConsumer c, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            List<MessageView> got = c.receive(1, Duration.ofSeconds(30));
            if (!got.isEmpty()) {
                return got.get(0);
            }
        }
        throw new AssertionError("no message within " + timeout);
    }
}
