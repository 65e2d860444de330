package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.junit.jupiter.api.Test;

/** FIFO (message groups, orderly group) and delay (delivery timestamp) messages. */
class FifoDelayTest {

    @Test
    void fifoMessagesArriveInSendOrderPerMessageGroup() throws Exception {
        String topic = Grpc.topic("GrpcFifo");
        String group = Grpc.group("GrpcFifoG", true);
        Map<String, List<String>> sent = new HashMap<>();
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            for (int i = 0; i < 30; i++) {
                String mg = "order-" + (i % 3);
                Message m = Grpc.PROVIDER.newMessageBuilder()
                    .setTopic(topic)
                    .setTag("fifo")
                    .setMessageGroup(mg)
                    .setBody(Grpc.body(mg + "-" + i))
                    .build();
                sent.computeIfAbsent(mg, k -> new ArrayList<>()).add(p.send(m).getMessageId().toString());
            }
            List<MessageView> got = Grpc.receiveAndAck(c, 30, Duration.ofSeconds(90));
            Map<String, List<String>> received = new HashMap<>();
            for (MessageView v : got) {
                String mg = v.getMessageGroup().orElseThrow();
                received.computeIfAbsent(mg, k -> new ArrayList<>()).add(v.getMessageId().toString());
            }
            assertEquals(sent, received, "every message once, in send order per message group");
        }
    }

    @Test
    void delayMessageIsNotReceivedBeforeItsTime() throws Exception {
        String topic = Grpc.topic("GrpcDelay");
        String group = Grpc.group("GrpcDelayG", false);
        try (Producer p = Grpc.producer(topic); SimpleConsumer c = Grpc.simple(group, topic)) {
            long at = System.currentTimeMillis() + 8_000;
            Message m = Grpc.PROVIDER.newMessageBuilder()
                .setTopic(topic)
                .setTag("delay")
                .setDeliveryTimestamp(at)
                .setBody(Grpc.body("later"))
                .build();
            String id = p.send(m).getMessageId().toString();
            List<MessageView> got = new ArrayList<>();
            long end = System.currentTimeMillis() + 60_000;
            while (got.isEmpty() && System.currentTimeMillis() < end) {
                got = c.receive(1, Duration.ofSeconds(30));
                if (!got.isEmpty()) {
                    assertTrue(System.currentTimeMillis() >= at - 1_000, "received before its delivery time");
                }
            }
            assertEquals(1, got.size());
            assertEquals(id, got.get(0).getMessageId().toString());
            assertEquals(at, got.get(0).getDeliveryTimestamp().orElseThrow());
            c.ack(got.get(0));
        }
    }
}
