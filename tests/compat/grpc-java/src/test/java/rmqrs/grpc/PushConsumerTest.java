package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.junit.jupiter.api.Test;

/** PushConsumer: receive + ack under the SDK's own loop. */
class PushConsumerTest {

    @Test
    void pushConsumerReceivesEveryMessage() throws Exception {
        String topic = Grpc.topic("GrpcPush");
        String group = Grpc.group("GrpcPushG", false);
        Set<String> sent = ConcurrentHashMap.newKeySet();
        Set<String> got = ConcurrentHashMap.newKeySet();
        try (Producer p = Grpc.producer(topic);
             PushConsumer c = Grpc.PROVIDER.newPushConsumerBuilder()
                 .setClientConfiguration(Grpc.config())
                 .setConsumerGroup(group)
                 .setSubscriptionExpressions(Map.of(topic, new FilterExpression("*", FilterExpressionType.TAG)))
                 .setMessageListener(v -> {
                     got.add(v.getMessageId().toString());
                     return ConsumeResult.SUCCESS;
                 })
                 .build()) {
            for (int i = 0; i < 20; i++) {
                sent.add(p.send(Grpc.PROVIDER.newMessageBuilder()
                    .setTopic(topic).setTag("push").setBody(Grpc.body("push-" + i)).build())
                    .getMessageId().toString());
            }
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!got.containsAll(sent) && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertEquals(sent, got);
        }
    }
}
