package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.java.impl.ClientImpl;
import org.apache.rocketmq.tools.command.MQAdminStartup;
import org.junit.jupiter.api.Test;

/**
 * The broker's calls to a consumer, relayed by our proxy to the SDK's PushConsumer over its
 * Telemetry stream, driven by the official mqadmin 5.x (rocketmq-tools, in-process):
 * {@code consumerStatus -s}, for the client and group-wide (GET_CONSUMER_RUNNING_INFO with
 * jstack: the SDK answers PrintThreadStackTraceCommand with its own thread dump) and
 * {@code queryMsgById -g -d} (CONSUME_MESSAGE_DIRECTLY: the SDK's VerifyMessageCommand hands
 * the message to the listener again; its result is the tool's consumeResult).
 */
class RelayTest {
    private static final String MARK = "rmqrs-relay-proof-thread";

    /** The official tool's output; its home has a silent logback config (it needs one). */
    private static String officialMqadmin(String... args) throws Exception {
        if (System.getProperty("rocketmq.home.dir") == null) {
            Path home = Files.createTempDirectory("rmq-tools-home");
            Files.createDirectories(home.resolve("conf"));
            Files.writeString(home.resolve("conf/logback_tools.xml"),
                "<configuration><root level=\"OFF\"/></configuration>\n");
            System.setProperty("rocketmq.home.dir", home.toString());
        }
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "-n";
        full[args.length + 1] = Grpc.NAMESRV;
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            MQAdminStartup.main0(full, null);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println("$ mqadmin " + String.join(" ", args) + "\n" + out);
        return out;
    }

    /** Runs the official tool until its output contains `want` (the consumer joins the broker
     *  asynchronously); returns the last output. */
    private static String officialUntil(String want, String... args) throws Exception {
        String out = "";
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            out = officialMqadmin(args);
            if (out.contains(want)) {
                break;
            }
            Thread.sleep(500);
        }
        return out;
    }

    @Test
    void officialMqadminReachesThePushConsumerThroughTheProxy() throws Exception {
        String topic = Grpc.topic("GrpcRelay");
        String group = Grpc.group("GrpcRelayG", false);
        Map<String, Integer> deliveries = new ConcurrentHashMap<>();
        Map<String, String> bodies = new ConcurrentHashMap<>();
        CountDownLatch parked = new CountDownLatch(1);
        Thread marker = new Thread(() -> {
            parked.countDown();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, MARK);
        marker.setDaemon(true);
        marker.start();
        parked.await();
        try (Producer p = Grpc.producer(topic);
             PushConsumer c = Grpc.PROVIDER.newPushConsumerBuilder()
                 .setClientConfiguration(Grpc.config())
                 .setConsumerGroup(group)
                 .setSubscriptionExpressions(Map.of(topic, new FilterExpression("*", FilterExpressionType.TAG)))
                 .setMessageListener(v -> onMessage(v, deliveries, bodies))
                 .build()) {
            String ok = send(p, topic, "relay-ok");
            String fails = send(p, topic, "relay-fails-on-verify");
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!(deliveries.containsKey(ok) && deliveries.containsKey(fails)) && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertEquals(Map.of(ok, 1, fails, 1), deliveries, "each message consumed once");
            String clientId = ((ClientImpl) c).getClientId().toString();

            String status = officialUntil("#Consumer jstack#", "consumerStatus", "-g", group, "-i", clientId, "-s");
            String jstack = status.substring(status.indexOf("#Consumer jstack#"));
            assertTrue(jstack.contains(MARK), "the SDK's own thread dump names this JVM's thread: " + jstack);
            assertTrue(status.contains(topic), "the running info lists the subscription: " + status);
            assertGroupWideStatus(group, clientId);

            String verified = officialMqadmin("queryMsgById", "-t", topic, "-i", ok, "-g", group, "-d", clientId);
            assertTrue(verified.contains("consumeResult=CR_SUCCESS"), verified);
            assertEquals(2, deliveries.get(ok), "the verify handed the message to the listener again");
            assertEquals("relay-ok", bodies.get(ok), "with its body");

            String failed = officialMqadmin("queryMsgById", "-t", topic, "-i", fails, "-g", group, "-d", clientId);
            assertTrue(failed.contains("consumeResult=CR_LATER"), "the listener's FAILURE: " + failed);
            assertEquals(2, deliveries.get(fails));
        } finally {
            marker.interrupt();
        }
    }

    /**
     * {@code consumerStatus -g -s} without a client id: the tool asks every connection of the
     * group and writes each running info to {@code <now>/<clientId>} under the working directory
     * (read here, then removed).
     */
    private static void assertGroupWideStatus(String group, String clientId) throws Exception {
        String table = officialUntil(clientId, "consumerStatus", "-g", group, "-s");
        String row = table.lines().filter(l -> l.contains(clientId)).findFirst().orElseThrow(
            () -> new AssertionError("the group's connections list the SDK's client: " + table));
        String[] cols = row.trim().split("\\s+");
        Path file = Path.of(cols[cols.length - 1]);
        try {
            assertEquals(clientId, file.getFileName().toString(), row);
            String info = Files.readString(file);
            assertTrue(info.contains("#Consumer jstack#") && info.contains(MARK), info);
        } finally {
            if (file.getParent() != null && file.getParent().getFileName().toString().matches("\\d+")) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.getParent());
            }
        }
    }

    /** Counts deliveries per message id; the second delivery of a `-fails-on-verify` body fails. */
    private static ConsumeResult onMessage(MessageView v, Map<String, Integer> deliveries, Map<String, String> bodies) {
        String id = v.getMessageId().toString();
        int n = deliveries.merge(id, 1, Integer::sum);
        String body = StandardCharsets.UTF_8.decode(v.getBody()).toString();
        bodies.put(id, body);
        return n > 1 && body.endsWith("-fails-on-verify") ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
    }

    private static String send(Producer p, String topic, String body) throws Exception {
        return p.send(Grpc.PROVIDER.newMessageBuilder().setTopic(topic).setTag("relay").setBody(Grpc.body(body)).build())
            .getMessageId().toString();
    }
}
