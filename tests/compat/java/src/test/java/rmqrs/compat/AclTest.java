package rmqrs.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 24, ACL 1.0 with the official client's AclClientRPCHook against a broker with
 * aclEnable=true and the plain_acl.yml run-acl-compat.sh writes: the right key sends; a wrong
 * secret, an unknown key, a topic without PUB and a whitelisted-only account used from 127.0.0.1
 * with a wrong secret are refused, and nothing of theirs is stored (the queues' max offsets).
 * With the 4.9.x tools, the official mqadmin's updateAclConfig, clusterAclConfigVersion and
 * deleteAclConfig work against our broker. Run by run-acl-compat.sh only (-Dbroker).
 */
@Tag("acl")
class AclTest {
    private static final RPCHook ADMIN = hook("rocketmq2", "12345678");

    private static RPCHook hook(String ak, String sk) {
        return new AclClientRPCHook(new SessionCredentials(ak, sk));
    }

    private static String broker() {
        String b = System.getProperty("broker");
        assertTrue(b != null && !b.isBlank(), "the runner passes -Dbroker");
        return b;
    }

    private static DefaultMQAdminExt admin() throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(ADMIN);
        admin.setNamesrvAddr(CompatSupport.namesrv());
        admin.setInstanceName(CompatSupport.uniqueInstanceName("acladmin"));
        admin.start();
        return admin;
    }

    private static String createTopic(DefaultMQAdminExt admin, String prefix) throws Exception {
        String topic = CompatSupport.uniqueTopic(prefix);
        admin.createAndUpdateTopicConfig(broker(), new TopicConfig(topic, 2, 2, 6));
        Thread.sleep(1500); // the broker registers the topic's route
        return topic;
    }

    private static long stored(DefaultMQAdminExt admin, String topic) throws Exception {
        long sum = 0;
        for (var offsets : admin.examineTopicStats(topic).getOffsetTable().values()) {
            sum += offsets.getMaxOffset() - offsets.getMinOffset();
        }
        return sum;
    }

    /** Sends once with this account; true when SEND_OK. */
    private static boolean send(String ak, String sk, String topic) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(CompatSupport.uniqueProducerGroup("acl"), hook(ak, sk));
        p.setNamesrvAddr(CompatSupport.namesrv());
        p.setInstanceName(CompatSupport.uniqueInstanceName("acl_" + ak));
        p.setRetryTimesWhenSendFailed(0);
        p.start();
        try {
            return p.send(new Message(topic, "T", ak.getBytes(StandardCharsets.UTF_8))).getSendStatus() == SendStatus.SEND_OK;
        } catch (Exception refused) {
            System.out.println("refused as expected for " + ak + ": " + refused.getMessage());
            return false;
        } finally {
            p.shutdown();
        }
    }

    @Test
    void rightKeySendsAndEveryBadCredentialIsRefusedWithNothingStored() throws Exception {
        DefaultMQAdminExt admin = admin();
        try {
            String topic = createTopic(admin, "acl");
            assertTrue(send("RocketMQ", "87654321", topic), "the right key");
            assertTrue(!send("RocketMQ", "wrong-secret", topic), "a wrong secret");
            assertTrue(!send("nobody99", "87654321", topic), "an unknown key");
            assertTrue(!send("NoPubUser", "87654321", topic), "an account without PUB on the topic");
            assertTrue(!send("WhiteOnly", "not-its-secret", topic), "a whitelisted account from outside its whitelist");
            assertEquals(1, stored(admin, topic), "only the right key's message is stored");
        } finally {
            admin.shutdown();
        }
    }

    @Test
    void unsignedAdminIsRefused() {
        DefaultMQAdminExt unsigned = new DefaultMQAdminExt();
        unsigned.setNamesrvAddr(CompatSupport.namesrv());
        unsigned.setInstanceName(CompatSupport.uniqueInstanceName("aclunsigned"));
        try {
            unsigned.start();
            assertThrows(Exception.class, () -> unsigned.createAndUpdateTopicConfig(broker(),
                new TopicConfig(CompatSupport.uniqueTopic("aclunsigned"), 1, 1, 6)));
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            unsigned.shutdown();
        }
    }

    @Test
    void officialMqadminManagesAccounts() throws Exception {
        Assumptions.assumeTrue(CompatSupport.clientProfile().equals("rmq4"), "5.x tools have no ACL 1.0 commands");
        DefaultMQAdminExt admin = admin();
        try {
            String topic = createTopic(admin, "aclcli");
            String out = CompatSupport.officialMqadmin(ADMIN, "mqadmin", "updateAclConfig", "-b", broker(),
                "-a", "CliUser01", "-s", "CliSecret01", "-t", topic + "=PUB");
            assertTrue(out.contains("create or update plain access config to " + broker() + " success"), out);
            assertTrue(send("CliUser01", "CliSecret01", topic), "the account created by the official mqadmin");
            out = CompatSupport.officialMqadmin(ADMIN, "mqadmin", "clusterAclConfigVersion", "-b", broker());
            assertTrue(out.contains("get broker's plain access config version success"), out);
            out = CompatSupport.officialMqadmin(ADMIN, "mqadmin", "deleteAclConfig", "-b", broker(), "-a", "CliUser01");
            assertTrue(out.contains("delete plain access config account from " + broker() + " success"), out);
            assertTrue(!send("CliUser01", "CliSecret01", topic), "a deleted account");
            assertEquals(1, stored(admin, topic));
        } finally {
            admin.shutdown();
        }
    }
}
