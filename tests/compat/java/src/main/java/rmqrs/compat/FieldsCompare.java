package rmqrs.compat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Sends the same requests to the official Apache RocketMQ name server + broker and to ours, after
 * the same set-up on both (a topic, a subscription group with a running push consumer that has
 * consumed, a running producer, a KV entry, a delayed message), and compares the answers' shapes:
 * every key the official writes must be in ours with the same JSON type (values may differ).
 *
 * <p>Usage: {@code FieldsCompare <officialNs> <officialBroker> <oursNs> <oursBroker> <allowFile>
 * [dumpDir]}. The allow file lists, one per line, {@code REQUEST path reason...}: keys that may be
 * absent from ours. Prints {@code PASS name} / {@code FAIL name: ...}; exit 1 on any failure.
 */
public final class FieldsCompare {
    static final String TOPIC = "FieldsTopic";
    static final String GROUP = "FieldsGroup";
    static final String PRODUCER = "FieldsProducer";
    static final String CLUSTER = "DefaultCluster";
    static final String KV_NAMESPACE = "FIELDS_NS";
    static final int MESSAGES = 8;

    /**
     * Broker config keys that the official tools read (GET_BROKER_CONFIG): {@code mqadmin
     * exportConfigs} (its fixed key list), {@code exportMetrics} (clientCallbackExecutorThreads),
     * {@code exportPopRecords} (brokerName). These must be in ours; other keys only the official
     * broker has are counted, not failed.
     */
    static final List<String> BROKER_CONFIG_REQUIRED = List.of(
        "brokerClusterName", "brokerId", "brokerName", "brokerRole", "fileReservedTime", "filterServerNums",
        "flushDiskType", "maxMessageSize", "messageDelayLevel", "msgTraceTopicName", "slaveReadEnable", "traceOn",
        "traceTopicEnable", "useTLS", "autoCreateTopicEnable", "autoCreateSubscriptionGroup",
        "clientCallbackExecutorThreads");

    enum Kind { JSON, KV_KEYS, PROPERTIES, EXT }

    /** One request: where it goes, its ext fields, and how to compare the answer. */
    record Req(String name, int code, boolean toNamesrv, Kind kind, Map<String, String> ext, byte[] body,
               Set<String> mapPaths) {
    }

    /** One server pair under test. */
    record Target(String label, String ns, String broker) {
    }

    private FieldsCompare() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: FieldsCompare <officialNs> <officialBroker> <oursNs> <oursBroker> <allowFile> [dumpDir]");
            System.exit(2);
        }
        Target official = new Target("official", args[0], args[1]);
        Target ours = new Target("ours", args[2], args[3]);
        Map<String, Set<String>> allowed = readAllowed(Path.of(args[4]));
        Path dump = args.length > 5 ? Path.of(args[5]) : null;

        NettyRemotingClient client = new NettyRemotingClient(new NettyClientConfig());
        client.start();
        List<AutoCloseable> running = new ArrayList<>();
        int failures = 0;
        try {
            Map<String, RemotingCommand> offAnswers = setUpAndAsk(client, official, running);
            Map<String, RemotingCommand> ourAnswers = setUpAndAsk(client, ours, running);
            for (Req r : requests()) {
                RemotingCommand a = offAnswers.get(r.name());
                RemotingCommand b = ourAnswers.get(r.name());
                if (dump != null) {
                    writeDump(dump, "official", r.name(), a);
                    writeDump(dump, "ours", r.name(), b);
                }
                List<String> problems = new ArrayList<>();
                List<String> notes = new ArrayList<>();
                try {
                    compare(r, a, b, allowed.getOrDefault(r.name(), Set.of()), problems, notes);
                } catch (RuntimeException e) {
                    problems.add("cannot compare: " + e.getMessage());
                }
                if (problems.isEmpty()) {
                    System.out.println("PASS " + r.name() + (notes.isEmpty() ? "" : "  (" + String.join("; ", notes) + ")"));
                } else {
                    failures++;
                    System.out.println("FAIL " + r.name() + ": " + String.join("; ", problems)
                        + (notes.isEmpty() ? "" : "  (" + String.join("; ", notes) + ")"));
                }
            }
        } finally {
            for (AutoCloseable c : running) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // shutting down
                }
            }
            client.shutdown();
        }
        System.out.println("fields: " + (requests().size() - failures) + " passed, " + failures + " failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    static Map<String, Set<String>> readAllowed(Path file) throws IOException {
        Map<String, Set<String>> m = new HashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] parts = t.split("\\s+", 3);
            if (parts.length < 3) {
                throw new IllegalArgumentException("allow line needs REQUEST path reason: " + line);
            }
            m.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[1]);
        }
        return m;
    }

    static Map<String, String> ext(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The requests compared, in the order they are sent (the send comes before the pull). */
    static List<Req> requests() {
        long now = System.currentTimeMillis();
        List<Req> l = new ArrayList<>();
        l.add(new Req("GET_ROUTEINFO_BY_TOPIC", 105, true, Kind.JSON, ext("topic", TOPIC), null,
            Set.of("brokerDatas[].brokerAddrs", "filterServerTable", "topicQueueMappingByBroker")));
        l.add(new Req("GET_BROKER_CLUSTER_INFO", 106, true, Kind.JSON, ext(), null,
            Set.of("brokerAddrTable", "brokerAddrTable.*.brokerAddrs", "clusterAddrTable")));
        l.add(new Req("GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 206, true, Kind.JSON, ext(), null, Set.of()));
        l.add(new Req("GET_TOPICS_BY_CLUSTER", 224, true, Kind.JSON, ext("cluster", CLUSTER), null, Set.of()));
        l.add(new Req("GET_KVLIST_BY_NAMESPACE", 219, true, Kind.JSON, ext("namespace", KV_NAMESPACE), null,
            Set.of("table")));
        l.add(new Req("GET_ALL_TOPIC_CONFIG", 21, false, Kind.JSON, ext(), null,
            Set.of("topicConfigTable", "topicConfigTable.*.attributes", "topicQueueMappingInfoMap",
                "topicQueueMappingDetailMap")));
        l.add(new Req("GET_ALL_SUBSCRIPTIONGROUP_CONFIG", 201, false, Kind.JSON, ext(), null,
            Set.of("subscriptionGroupTable", "subscriptionGroupTable.*.attributes", "forbiddenTable",
                "forbiddenTable.*")));
        l.add(new Req("GET_ALL_CONSUMER_OFFSET", 43, false, Kind.JSON, ext(), null,
            Set.of("offsetTable", "offsetTable.*", "pullOffsetTable", "pullOffsetTable.*", "groupTopicMap")));
        l.add(new Req("GET_ALL_DELAY_OFFSET", 45, false, Kind.JSON, ext(), null, Set.of("offsetTable")));
        l.add(new Req("GET_TOPIC_STATS_INFO", 202, false, Kind.JSON, ext("topic", TOPIC), null, Set.of("offsetTable")));
        l.add(new Req("GET_CONSUME_STATS", 208, false, Kind.JSON, ext("consumerGroup", GROUP, "topic", TOPIC), null,
            Set.of("offsetTable")));
        l.add(new Req("GET_CONSUMER_CONNECTION_LIST", 203, false, Kind.JSON, ext("consumerGroup", GROUP), null,
            Set.of("subscriptionTable")));
        l.add(new Req("GET_PRODUCER_CONNECTION_LIST", 204, false, Kind.JSON, ext("producerGroup", PRODUCER), null,
            Set.of()));
        l.add(new Req("GET_BROKER_RUNTIME_INFO", 28, false, Kind.KV_KEYS, ext(), null, Set.of()));
        l.add(new Req("GET_CONSUMER_LIST_BY_GROUP", 38, false, Kind.JSON, ext("consumerGroup", GROUP), null, Set.of()));
        l.add(new Req("QUERY_TOPIC_CONSUME_BY_WHO", 300, false, Kind.JSON, ext("topic", TOPIC), null, Set.of()));
        l.add(new Req("QUERY_TOPICS_BY_CONSUMER", 343, false, Kind.JSON, ext("group", GROUP), null, Set.of()));
        l.add(new Req("GET_BROKER_CONFIG", 26, false, Kind.PROPERTIES, ext(), null, Set.of()));
        l.add(new Req("QUERY_CONSUMER_OFFSET", 14, false, Kind.EXT,
            ext("consumerGroup", GROUP, "topic", TOPIC, "queueId", "0"), null, Set.of()));
        l.add(new Req("SEARCH_OFFSET_BY_TIMESTAMP", 29, false, Kind.EXT,
            ext("topic", TOPIC, "queueId", "0", "timestamp", String.valueOf(now)), null, Set.of()));
        l.add(new Req("SEND_MESSAGE", 10, false, Kind.EXT,
            ext("producerGroup", PRODUCER, "topic", TOPIC, "defaultTopic", "TBW102", "defaultTopicQueueNums", "4",
                "queueId", "0", "sysFlag", "0", "bornTimestamp", String.valueOf(now), "flag", "0",
                "properties", "KEYS\u0001fields-raw\u0002WAIT\u0001true\u0002", "reconsumeTimes", "0",
                "unitMode", "false", "batch", "false"),
            "raw send".getBytes(StandardCharsets.UTF_8), Set.of()));
        l.add(new Req("PULL_MESSAGE", 11, false, Kind.EXT,
            ext("consumerGroup", GROUP, "topic", TOPIC, "queueId", "0", "queueOffset", "0", "maxMsgNums", "32",
                "sysFlag", "4", "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*",
                "subVersion", String.valueOf(now), "expressionType", "TAG"),
            null, Set.of()));
        return l;
    }

    /** Same set-up on one target, then every request; the clients stay running (closed at the end). */
    static Map<String, RemotingCommand> setUpAndAsk(NettyRemotingClient client, Target t, List<AutoCloseable> running)
        throws Exception {
        RemotingCommand r = call(client, t.broker(), 17, ext("topic", TOPIC, "defaultTopic", "TBW102",
            "readQueueNums", "4", "writeQueueNums", "4", "perm", "6", "topicFilterType", "SINGLE_TAG",
            "topicSysFlag", "0", "order", "false"), null);
        check(r, t, "UPDATE_AND_CREATE_TOPIC");
        r = call(client, t.broker(), 200, ext(),
            ("{\"groupName\":\"" + GROUP + "\"}").getBytes(StandardCharsets.UTF_8));
        check(r, t, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP");
        r = call(client, t.ns(), 100, ext("namespace", KV_NAMESPACE, "key", "k1", "value", "v1"), null);
        check(r, t, "PUT_KV_CONFIG");
        waitForRoute(client, t);

        String instance = "fields-" + t.label() + "-" + ProcessHandle.current().pid();
        DefaultMQProducer producer = new DefaultMQProducer(PRODUCER);
        producer.setNamesrvAddr(t.ns());
        producer.setInstanceName(instance);
        producer.start();
        running.add(producer::shutdown);
        for (int i = 0; i < MESSAGES; i++) {
            Message m = new Message(TOPIC, "tag" + (i % 2), "key" + i, ("body-" + i).getBytes(StandardCharsets.UTF_8));
            SendResult sr = producer.send(m, 5000);
            if (sr.getSendStatus() != SendStatus.SEND_OK) {
                throw new IllegalStateException(t.label() + ": send " + i + " " + sr);
            }
        }
        Message delayed = new Message(TOPIC, "delayed", "delayed".getBytes(StandardCharsets.UTF_8));
        delayed.setDelayTimeLevel(1);
        producer.send(delayed, 5000);

        AtomicInteger consumed = new AtomicInteger();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(GROUP);
        consumer.setNamesrvAddr(t.ns());
        consumer.setInstanceName(instance);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPersistConsumerOffsetInterval(1000);
        consumer.subscribe(TOPIC, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            consumed.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        running.add(consumer::shutdown);
        long deadline = System.currentTimeMillis() + 40_000;
        while (consumed.get() < MESSAGES + 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        if (consumed.get() < MESSAGES + 1) {
            throw new IllegalStateException(t.label() + ": consumed " + consumed.get() + " of " + (MESSAGES + 1));
        }
        // Committed offsets on every queue, whatever the consumer's own commits have reached yet:
        // commit each queue's max offset and wait until the broker answers it.
        for (int q = 0; q < 4; q++) {
            RemotingCommand max = call(client, t.broker(), 30, ext("topic", TOPIC, "queueId", String.valueOf(q)), null);
            check(max, t, "GET_MAX_OFFSET");
            check(call(client, t.broker(), 15, ext("consumerGroup", GROUP, "topic", TOPIC, "queueId", String.valueOf(q),
                "commitOffset", max.getExtFields().get("offset")), null), t, "UPDATE_CONSUMER_OFFSET");
        }
        for (int q = 0; q < 4; q++) {
            long until = System.currentTimeMillis() + 10_000;
            while (call(client, t.broker(), 14, ext("consumerGroup", GROUP, "topic", TOPIC, "queueId", String.valueOf(q)),
                null).getCode() != 0) {
                if (System.currentTimeMillis() > until) {
                    throw new IllegalStateException(t.label() + ": no committed offset on queue " + q);
                }
                Thread.sleep(200);
            }
        }

        Map<String, RemotingCommand> answers = new LinkedHashMap<>();
        for (Req q : requests()) {
            answers.put(q.name(), call(client, q.toNamesrv() ? t.ns() : t.broker(), q.code(), q.ext(), q.body()));
        }
        System.out.println(t.label() + ": set up (" + consumed.get() + " consumed) and asked " + answers.size() + " requests");
        return answers;
    }

    static void waitForRoute(NettyRemotingClient client, Target t) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            if (call(client, t.ns(), 105, ext("topic", TOPIC), null).getCode() == 0) {
                return;
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(t.label() + ": no route for " + TOPIC + " after 20 s");
    }

    static void check(RemotingCommand r, Target t, String what) {
        if (r.getCode() != 0) {
            throw new IllegalStateException(t.label() + ": " + what + " answered " + r.getCode() + " " + r.getRemark());
        }
    }

    static RemotingCommand call(NettyRemotingClient client, String addr, int code, Map<String, String> ext, byte[] body)
        throws Exception {
        RemotingCommand req = RemotingCommand.createRequestCommand(code, null);
        ext.forEach(req::addExtField);
        if (body != null) {
            req.setBody(body);
        }
        return client.invokeSync(addr, req, 10_000);
    }

    static void compare(Req r, RemotingCommand off, RemotingCommand ours, Set<String> allowed, List<String> problems,
                        List<String> notes) throws IOException {
        if (off.getCode() != ours.getCode()) {
            problems.add("code: official " + off.getCode() + " (" + off.getRemark() + "), ours " + ours.getCode()
                + " (" + ours.getRemark() + ")");
            return;
        }
        if (off.getCode() != 0) {
            problems.add("the official broker answered " + off.getCode() + " (" + off.getRemark()
                + "): the set-up did not give it anything to compare");
            return;
        }
        // Response header fields (extFields), for every request: all are strings on the wire.
        FieldShape offExt = FieldShape.of(Map.of("ext", new LinkedHashMap<String, Object>(nonNull(off.getExtFields()))), Set.of());
        FieldShape ourExt = FieldShape.of(Map.of("ext", new LinkedHashMap<String, Object>(nonNull(ours.getExtFields()))), Set.of());
        FieldShape.compare(offExt, ourExt, "", allowed, problems);
        FieldShape a;
        FieldShape b;
        switch (r.kind()) {
            case EXT -> {
                return;
            }
            case PROPERTIES -> {
                Set<String> offKeys = propertyKeys(off.getBody());
                Set<String> ourKeys = propertyKeys(ours.getBody());
                Set<String> only = new TreeSet<>(offKeys);
                only.removeAll(ourKeys);
                for (String k : BROKER_CONFIG_REQUIRED) {
                    if (offKeys.contains(k) && !ourKeys.contains(k) && !FieldShape.isAllowed(k, allowed)) {
                        problems.add("missing required key " + k);
                    }
                }
                notes.add(offKeys.size() + " official keys, " + ourKeys.size() + " ours, " + only.size()
                    + " only in the official (not read by clients)");
                return;
            }
            case KV_KEYS -> {
                a = FieldShape.of(pathKeysNamed(parseBody(off, "official")), r.mapPaths());
                b = FieldShape.of(pathKeysNamed(parseBody(ours, "ours")), r.mapPaths());
            }
            default -> {
                a = FieldShape.of(parseBody(off, "official"), r.mapPaths());
                b = FieldShape.of(parseBody(ours, "ours"), r.mapPaths());
            }
        }
        FieldShape.compare(a, b, "", allowed, problems);
        List<String> extra = new ArrayList<>();
        FieldShape.extras(a, b, "", extra);
        if (!extra.isEmpty()) {
            notes.add("only in ours: " + String.join(", ", extra));
        }
    }

    /**
     * KVTable keys that end in a store path ({@code commitLogDiskRatio_/tmp/x/commitlog}) become
     * {@code commitLogDiskRatio_<path>}: the two brokers' paths differ, the key is the same.
     */
    @SuppressWarnings("unchecked")
    static Object pathKeysNamed(Object body) {
        if (body instanceof Map<?, ?> m && m.get("table") instanceof Map<?, ?> table) {
            Map<String, Object> renamed = new LinkedHashMap<>();
            ((Map<String, Object>) table).forEach((k, v) -> {
                int slash = k.indexOf("_/");
                renamed.put(slash >= 0 ? k.substring(0, slash) + "_<path>" : k, v);
            });
            Map<String, Object> out = new LinkedHashMap<>((Map<String, Object>) m);
            out.put("table", renamed);
            return out;
        }
        return body;
    }

    static Map<String, String> nonNull(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }

    static Object parseBody(RemotingCommand c, String who) {
        if (c.getBody() == null || c.getBody().length == 0) {
            throw new IllegalStateException(who + " answered code " + c.getCode() + " without a body");
        }
        return FieldShape.parse(new String(c.getBody(), StandardCharsets.UTF_8));
    }

    static Set<String> propertyKeys(byte[] body) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(body == null ? "" : new String(body, StandardCharsets.UTF_8)));
        return new TreeSet<>(p.stringPropertyNames());
    }

    static void writeDump(Path dir, String who, String name, RemotingCommand c) throws IOException {
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        sb.append("code=").append(c.getCode()).append(" remark=").append(c.getRemark()).append('\n');
        sb.append("ext=").append(c.getExtFields()).append('\n');
        if (c.getBody() != null && !name.equals("PULL_MESSAGE")) {
            sb.append(new String(c.getBody(), StandardCharsets.UTF_8)).append('\n');
        }
        Files.writeString(dir.resolve(who + "-" + name + ".txt"), sb.toString());
    }
}
