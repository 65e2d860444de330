package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionChecker;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;
import org.junit.jupiter.api.Test;

/**
 * Transactional messages: commit and rollback by EndTransaction, and the check-back of a
 * transaction left open (the broker asks the proxy, the proxy asks this producer over its
 * Telemetry stream, the checker's answer comes back as EndTransaction). The runner makes the
 * broker check every second.
 */
class TransactionTest {
    /** Message ids the checker was asked about, with how often. */
    private final Map<String, Integer> asked = new ConcurrentHashMap<>();

    private final TransactionChecker checker = view -> {
        asked.merge(view.getMessageId().toString(), 1, Integer::sum);
        java.nio.ByteBuffer buf = view.getBody();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        String body = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        return body.startsWith("check-commit") ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK;
    };

    private Producer producer(String topic) throws Exception {
        return Grpc.PROVIDER.newProducerBuilder()
            .setClientConfiguration(Grpc.config())
            .setTopics(topic)
            .setTransactionChecker(checker)
            .build();
    }

    private static String sendHalf(Producer p, Transaction tx, String topic, String body) throws Exception {
        return p.send(Grpc.PROVIDER.newMessageBuilder().setTopic(topic).setTag("tx").setBody(Grpc.body(body)).build(), tx)
            .getMessageId().toString();
    }

    private static Set<String> ids(List<MessageView> views) {
        Set<String> ids = new HashSet<>();
        views.forEach(v -> ids.add(v.getMessageId().toString()));
        return ids;
    }

    @Test
    void committedAreDeliveredRolledBackNever() throws Exception {
        String topic = Grpc.topic("GrpcTx");
        String group = Grpc.group("GrpcTxG", false);
        Set<String> committed = new HashSet<>();
        try (Producer p = producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            for (int i = 0; i < 5; i++) {
                Transaction commit = p.beginTransaction();
                committed.add(sendHalf(p, commit, topic, "commit-" + i));
                commit.commit();
                Transaction rollback = p.beginTransaction();
                sendHalf(p, rollback, topic, "rollback-" + i);
                rollback.rollback();
            }
            List<MessageView> got = Grpc.receiveAndAck(c, committed.size(), Duration.ofSeconds(60));
            // Wait a little longer: a rolled-back message must never come.
            got.addAll(c.receive(16, Duration.ofSeconds(3)));
            assertEquals(committed, ids(got), "exactly the committed messages");
            assertEquals(committed.size(), got.size(), "each once");
        }
    }

    @Test
    void openTransactionIsCheckedBack() throws Exception {
        String topic = Grpc.topic("GrpcTxCheck");
        String group = Grpc.group("GrpcTxCheckG", false);
        try (Producer p = producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            String commitId = sendHalf(p, p.beginTransaction(), topic, "check-commit");
            String rollbackId = sendHalf(p, p.beginTransaction(), topic, "check-rollback");
            List<MessageView> got = new ArrayList<>(Grpc.receiveAndAck(c, 1, Duration.ofSeconds(90)));
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!asked.containsKey(rollbackId) && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            got.addAll(c.receive(16, Duration.ofSeconds(3)));
            assertEquals(Set.of(commitId), ids(got), "only the half message the checker committed");
            assertTrue(asked.containsKey(commitId) && asked.containsKey(rollbackId), "checker asked about both: " + asked);
        }
    }
}
