package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A pull returns at most maxTransferCountOnMessageInMemory (32) messages, whatever the client
 * asks for, as Apache RocketMQ's broker does: a pull of 50 from a queue of 37 gets 32, then 5.
 */
@Tag(CompatSupport.BROKER)
class PullBoundsTest {
    @Test
    void aPullOf50FromAQueueOf37ReturnsAtMost32() throws Exception {
        String topic = CompatSupport.uniqueTopic("bounds");
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("bounds"));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("bp"));
        p.start();
        MessageQueue queue;
        List<String> sent = new ArrayList<>();
        try {
            SendResult first = p.send(new Message(topic, "m0".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, first.getSendStatus());
            queue = first.getMessageQueue();
            sent.add("m0");
            for (int i = 1; i < 37; i++) {
                String body = "m" + i;
                SendResult r = p.send(new Message(topic, body.getBytes(StandardCharsets.UTF_8)), queue);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                sent.add(body);
            }
        } finally {
            p.shutdown();
        }
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(CompatSupport.uniqueConsumerGroup("bounds"));
        c.setNamesrvAddr(CompatSupport.namesrv());
        c.setInstanceName(CompatSupport.uniqueInstanceName("bc"));
        c.start();
        try {
            long offset = c.minOffset(queue);
            PullResult r = c.pull(queue, "*", offset, 50);
            assertEquals(PullStatus.FOUND, r.getPullStatus());
            assertEquals(32, r.getMsgFoundList().size(), "messages in one pull of 50");
            assertEquals(offset + 32, r.getNextBeginOffset());
            List<String> got = new ArrayList<>();
            r.getMsgFoundList().forEach(m -> got.add(new String(m.getBody(), StandardCharsets.UTF_8)));
            PullResult rest = c.pull(queue, "*", r.getNextBeginOffset(), 50);
            assertEquals(PullStatus.FOUND, rest.getPullStatus());
            assertTrue(rest.getMsgFoundList().size() <= 32);
            for (MessageExt m : rest.getMsgFoundList()) {
                got.add(new String(m.getBody(), StandardCharsets.UTF_8));
            }
            assertEquals(sent, got, "every message once, in order");
        } finally {
            c.shutdown();
        }
    }
}
