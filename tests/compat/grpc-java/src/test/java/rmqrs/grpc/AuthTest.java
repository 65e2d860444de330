package rmqrs.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.StaticSessionCredentialsProvider;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.java.exception.UnauthorizedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ACL 2.0 through the proxy with the SDK's StaticSessionCredentialsProvider: a private name
 * server, a broker with authenticationEnabled and authorizationEnabled and a proxy with both on
 * (signing its own requests with innerClientAuthenticationCredentials); user `app` made with our
 * mqadmin gets PUB and SUB on one topic and SUB on one group. The right secret sends and
 * receives the exact set of message ids; a wrong secret is refused and stores nothing; a topic
 * the policy does not name is refused.
 */
class AuthTest {
    private static final String ADMIN_AK = "admin";
    private static final String ADMIN_SK = "admin-secret";
    private static PrivateServers servers;
    private static String ns;
    private static String proxy;
    private static String topic;
    private static String other;
    private static String group;

    @BeforeAll
    static void start() throws Exception {
        servers = new PrivateServers("rmq-grpc-auth");
        int nsPort = servers.start("namesrv", "mqnamesrv",
            p -> "listenPort=" + p + "\nbindAddress=127.0.0.1\nkvConfigPath=" + servers.dir.resolve("kv.json") + "\n");
        ns = "127.0.0.1:" + nsPort;
        int brokerPort = servers.start("broker", "mqbroker", p -> "brokerName=broker-auth\nbrokerIP1=127.0.0.1\n"
            + "bindAddress=127.0.0.1\nlistenPort=" + p + "\nfastListenEnable=false\n"
            + "storePathRootDir=" + servers.dir.resolve("store") + "\nmappedFileSizeCommitLog=16777216\n"
            + "maxHashSlotNum=50000\nmaxIndexNum=200000\nnamesrvAddr=" + ns + "\n"
            + "authenticationEnabled=true\nauthorizationEnabled=true\n"
            + "initAuthenticationUser={\"username\":\"" + ADMIN_AK + "\",\"password\":\"" + ADMIN_SK + "\"}\n");
        String broker = "127.0.0.1:" + brokerPort;
        int proxyPort = servers.start("proxy", "mqproxy", p -> "grpcServerPort=" + p + "\ngrpcBindAddress=127.0.0.1\n"
            + "namesrvAddr=" + ns + "\nminInvisibleTimeMillsForRecv=1000\n"
            + "authenticationEnabled=true\nauthorizationEnabled=true\n"
            + "innerClientAuthenticationCredentials={\"accessKey\":\"" + ADMIN_AK + "\",\"secretKey\":\"" + ADMIN_SK
            + "\"}\n");
        proxy = "127.0.0.1:" + proxyPort;
        topic = Grpc.unique("GrpcAuth");
        other = Grpc.unique("GrpcAuthOther");
        group = Grpc.unique("GrpcAuthG");
        for (String t : List.of(topic, other)) {
            admin("updateTopic", "-c", "DefaultCluster", "-t", t, "-r", "2", "-w", "2");
        }
        admin("updateSubGroup", "-c", "DefaultCluster", "-g", group);
        admin("createUser", "-b", broker, "-u", "app", "-p", "app-secret");
        admin("createAcl", "-b", broker, "-s", "User:app", "-r", "Topic:" + topic + ",Group:" + group,
            "-a", "Pub,Sub", "-d", "Allow");
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.stop();
        }
    }

    /** Our mqadmin signed as the super user; retried while the broker registers. */
    private static void admin(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Grpc.MQADMIN));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-n", ns, "--accessKey", ADMIN_AK, "--secretKey", ADMIN_SK));
        String out = "";
        for (int attempt = 0; attempt < 60; attempt++) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("mqadmin " + String.join(" ", args) + " failed: " + out);
    }

    private static ClientConfiguration config(String ak, String sk) {
        return ClientConfiguration.newBuilder()
            .setEndpoints(proxy)
            .enableSsl(Grpc.TLS)
            .setRequestTimeout(Duration.ofSeconds(5))
            .setCredentialProvider(new StaticSessionCredentialsProvider(ak, sk))
            .build();
    }

    private static Producer producer(String sk, String t) throws Exception {
        return Grpc.PROVIDER.newProducerBuilder().setClientConfiguration(config("app", sk)).setTopics(t).build();
    }

    private static String send(Producer p, String t, String body) throws Exception {
        return p.send(Grpc.PROVIDER.newMessageBuilder().setTopic(t).setTag("auth").setBody(Grpc.body(body)).build())
            .getMessageId().toString();
    }

    /** The SDK's UnauthorizedException (status 40100) with the proxy's reason, in the cause chain. */
    private static void assertUnauthorized(Throwable thrown, String reason) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof UnauthorizedException) {
                assertTrue(t.getMessage().contains(reason), t.getMessage());
                return;
            }
        }
        throw new AssertionError("not refused as UNAUTHORIZED (" + reason + ")", thrown);
    }

    @Test
    void rightCredentialsSendAndReceiveWrongSecretAndMissingPermissionAreRefused() throws Exception {
        Exception wrong = assertThrows(Exception.class, () -> {
            try (Producer p = producer("not-the-secret", topic)) {
                send(p, topic, "wrong-secret");
            }
        });
        assertUnauthorized(wrong, "check signature failed");
        Exception noPub = assertThrows(Exception.class, () -> {
            try (Producer p = producer("app-secret", other)) {
                send(p, other, "no-permission");
            }
        });
        assertUnauthorized(noPub, "no permission to access Topic:" + other);
        Set<String> sent = new HashSet<>();
        try (Producer p = producer("app-secret", topic)) {
            for (int i = 0; i < 10; i++) {
                sent.add(send(p, topic, "auth-" + i));
            }
        }
        FilterExpression all = new FilterExpression("*", FilterExpressionType.TAG);
        try (SimpleConsumer c = Grpc.PROVIDER.newSimpleConsumerBuilder()
            .setClientConfiguration(config("app", "app-secret"))
            .setConsumerGroup(group)
            .setAwaitDuration(Duration.ofSeconds(5))
            .setSubscriptionExpressions(Map.of(topic, all))
            .build()) {
            Set<String> got = new HashSet<>();
            for (MessageView v : Grpc.receiveAndAck(c, sent.size(), Duration.ofSeconds(60))) {
                got.add(v.getMessageId().toString());
            }
            assertEquals(sent, got, "exactly the messages of the right secret are stored");
            assertTrue(c.receive(16, Duration.ofSeconds(30)).isEmpty(), "nothing else is stored");
        }
    }
}
