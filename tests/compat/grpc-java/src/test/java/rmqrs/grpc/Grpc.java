package rmqrs.grpc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;

/** Shared set-up: the SDK's provider and configuration, topics and groups made with our mqadmin. */
final class Grpc {
    static final ClientServiceProvider PROVIDER = ClientServiceProvider.loadService();
    static final String PROXY = System.getProperty("proxy", "127.0.0.1:8081");
    static final String NAMESRV = System.getProperty("namesrv", "127.0.0.1:9876");
    static final String MQADMIN = System.getProperty("mqadmin", "mqadmin");
    /** TLS to the proxy (-Dtls=true; the SDK trusts any server certificate). */
    static final boolean TLS = Boolean.getBoolean("tls");

    private Grpc() {}

    static ClientConfiguration config() {
        return ClientConfiguration.newBuilder()
            .setEndpoints(PROXY)
            .enableSsl(TLS)
            .setRequestTimeout(Duration.ofSeconds(5))
            .build();
    }

    /** A fresh name for a topic or group of one test. */
    static String unique(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    static void mqadmin(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(MQADMIN);
        cmd.addAll(List.of(args));
        cmd.add("-n");
        cmd.add(NAMESRV);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("mqadmin " + String.join(" ", args) + " failed: " + out);
        }
    }

    /** Creates a topic on the cluster and waits until the proxy can route it. */
    static String topic(String prefix) throws Exception {
        String topic = unique(prefix);
        mqadmin("updateTopic", "-c", "DefaultCluster", "-t", topic, "-r", "4", "-w", "4");
        return topic;
    }

    /** Creates a consumer group; orderly makes it a FIFO group. */
    static String group(String prefix, boolean orderly) throws Exception {
        String group = unique(prefix);
        mqadmin("updateSubGroup", "-c", "DefaultCluster", "-g", group, "-o", Boolean.toString(orderly));
        return group;
    }

    static Producer producer(String... topics) throws Exception {
        return PROVIDER.newProducerBuilder().setClientConfiguration(config()).setTopics(topics).build();
    }

    static SimpleConsumer simple(String group, String topic, FilterExpression filter) throws Exception {
        return PROVIDER.newSimpleConsumerBuilder()
            .setClientConfiguration(config())
            .setConsumerGroup(group)
            .setAwaitDuration(Duration.ofSeconds(5))
            .setSubscriptionExpressions(Map.of(topic, filter))
            .build();
    }

    static SimpleConsumer simple(String group, String topic) throws Exception {
        return simple(group, topic, new FilterExpression("*", FilterExpressionType.TAG));
    }

    static byte[] body(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Receives (and acks) until `want` messages came or `timeout` passed; returns them in order received. */
    static List<MessageView> receiveAndAck(SimpleConsumer c, int want, Duration timeout) throws Exception {
        List<MessageView> got = new ArrayList<>();
        long end = System.nanoTime() + timeout.toNanos();
        while (got.size() < want && System.nanoTime() < end) {
            for (MessageView v : c.receive(16, Duration.ofSeconds(30))) {
                c.ack(v);
                got.add(v);
            }
        }
        return got;
    }
}
