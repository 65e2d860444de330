package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * QUERY_ASSIGNMENT as the 5.x client's {@code MQClientInstance.queryAssignment} asks it: a
 * lone member gets every queue of every broker set in PULL mode, and once the group is
 * switched to POP (share 0) one whole-topic assignment (queue id -1) per broker set.
 */
@Tag(CompatSupport.BROKER)
class QueryAssignmentTest {
    private static List<String> assignments(DefaultMQPushConsumer c, String topic, String group) throws Exception {
        Object impl = PopTest.call(c, "getDefaultMQPushConsumerImpl");
        Object factory = PopTest.call(impl, "getmQClientFactory");
        Object got = PopTest.call(factory, "queryAssignment", topic, group, "AVG", c.getMessageModel(), 3000);
        List<String> out = new ArrayList<>();
        for (Object a : (Collection<?>) got) {
            Object mq = PopTest.call(a, "getMessageQueue");
            out.add(PopTest.call(a, "getMode") + ":" + PopTest.call(mq, "getQueueId"));
        }
        out.sort(null);
        return out;
    }

    @Test
    void assignmentsFollowTheGroupsMode() throws Exception {
        Assumptions.assumeTrue("rmq5".equals(CompatSupport.clientProfile()), "QUERY_ASSIGNMENT is 5.x");
        String topic = CompatSupport.uniqueTopic("qassign");
        String group = CompatSupport.uniqueConsumerGroup("qassign");
        PopTest.prepare(topic, group, false);
        int masters;
        DefaultMQAdminExt admin = PopTest.admin();
        try {
            masters = PopTest.masters(admin).size();
        } finally {
            admin.shutdown();
        }
        DefaultMQPushConsumer c = PopTest.consumer(group, topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> ConsumeConcurrentlyStatus.CONSUME_SUCCESS);
        c.start();
        try {
            List<String> pull = assignments(c, topic, group);
            assertEquals(4 * masters, pull.size(), pull.toString());
            pull.forEach(a -> assertEquals("PULL", a.split(":")[0], pull.toString()));
            PopTest.prepare(topic, group, true);
            List<String> pop = assignments(c, topic, group);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < masters; i++) {
                expected.add("POP:-1");
            }
            assertEquals(expected, pop);
        } finally {
            c.shutdown();
        }
    }
}
