package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Consuming from the slave when the master is stopped: messages sent to a topic that lives only
 * on broker-c reach its slave; the master is killed (SIGKILL); a new consumer group reads every
 * message through the slave. broker-c has a name server of its own (FAILOVER_NAMESRV), so the
 * other scenarios never see a dead master; the runner restarts it before the next profile.
 */
@Tag(CompatSupport.BROKER)
class FailoverTest {
    @Test
    void consumersReadFromTheSlaveWhenTheMasterIsDown() throws Exception {
        String pid = System.getenv("FAILOVER_MASTER_PID");
        String master = System.getenv("FAILOVER_MASTER_ADDR");
        String namesrv = System.getenv("FAILOVER_NAMESRV");
        Assumptions.assumeTrue(pid != null && master != null && namesrv != null, "no failover broker set in this run");
        String topic = CompatSupport.uniqueTopic("failover");
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName(CompatSupport.uniqueInstanceName("foa"));
        admin.start();
        Set<String> sent = new HashSet<>();
        try {
            var cfg = new org.apache.rocketmq.common.TopicConfig(topic);
            cfg.setReadQueueNums(4);
            cfg.setWriteQueueNums(4);
            admin.createAndUpdateTopicConfig(master, cfg);
            DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("fo"));
            p.setNamesrvAddr(namesrv);
            p.setInstanceName(CompatSupport.uniqueInstanceName("fop"));
            p.start();
            try {
                long deadline = System.currentTimeMillis() + 15_000;
                while (sent.size() < 20) {
                    try {
                        sent.add(p.send(new Message(topic, ("fo-" + sent.size()).getBytes(StandardCharsets.UTF_8))).getMsgId());
                    } catch (Exception routeNotYet) {
                        if (System.currentTimeMillis() > deadline) {
                            throw routeNotYet;
                        }
                        Thread.sleep(200);
                    }
                }
            } finally {
                p.shutdown();
            }
            // Replication, and the slave's metadata sync (every 10 s) that gives it the topic.
            Thread.sleep(12_000);
            new ProcessBuilder("kill", "-9", pid).start().waitFor();
            // The name server drops the master when its connection closes.
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                var route = admin.examineTopicRouteInfo(topic);
                if (!route.getBrokerDatas().get(0).getBrokerAddrs().containsKey(0L)) {
                    break;
                }
                Thread.sleep(200);
            }
        } finally {
            admin.shutdown();
        }
        Set<String> got = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(CompatSupport.uniqueConsumerGroup("fo"));
        c.setNamesrvAddr(namesrv);
        c.setInstanceName(CompatSupport.uniqueInstanceName("foc"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            msgs.forEach(m -> got.add(m.getMsgId()));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got.size() < sent.size() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        } finally {
            c.shutdown();
        }
        assertEquals(sent, got, "every message read through the slave");
    }
}
