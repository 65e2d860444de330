package rmqrs.compat;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.rocketmq.client.ClientConfig;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Drives the official Java client (4.9.x or 5.x, whichever profile built it) through every request
 * kind that carries a JSON body, so that a capture proxy between it and our servers records the
 * bodies as codec vectors (tests/compat/capture-vectors.sh).
 *
 * <pre>
 * java rmqrs.compat.CaptureBodies java NAMESRV BROKER            # all client roles + admin calls
 * java rmqrs.compat.CaptureBodies topic NAMESRV BROKER         # one topic on BROKER, then forceRegister
 * java rmqrs.compat.CaptureBodies poke NAMESRV BROKER GROUP TOPIC [MSG_ID]
 *     # admin calls that make the broker ask GROUP's clients (any language) for their running
 *     # info, consume status and a direct consume, and reset their offsets
 * </pre>
 *
 * <p>Group names say the role ({@code cap_push_tag_...}), so the capture script can name each
 * heartbeat variant by the groups in its body. Every step is best effort: a step our broker refuses
 * is printed as {@code STEP name FAILED: reason} and the run goes on (the refusal is itself a
 * finding). Bounded in time: about 40 s.
 */
public final class CaptureBodies {
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final boolean V5 = classExists("org.apache.rocketmq.common.message.MessageRequestMode");

    private final String namesrv;
    private final String broker;
    private final List<Runnable> shutdowns = new ArrayList<>();
    private final ConcurrentHashMap<String, Integer> received = new ConcurrentHashMap<>();
    private DefaultMQAdminExt admin;

    private CaptureBodies(String namesrv, String broker) {
        this.namesrv = namesrv;
        this.broker = broker;
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: CaptureBodies java|topic|poke NAMESRV BROKER [GROUP TOPIC [MSG_ID]]");
            System.exit(2);
        }
        CaptureBodies c = new CaptureBodies(args[1], args[2]);
        int rc = 0;
        try {
            c.startAdmin();
            if (args[0].equals("poke")) {
                c.poke(args[3], args[4], args.length > 5 ? args[5] : null);
            } else if (args[0].equals("topic")) {
                String t = name("official_topic");
                step("create topic " + t + " on " + c.broker,
                    () -> c.admin.createAndUpdateTopicConfig(c.broker, new TopicConfig(t, 4, 4, 6)));
                // An official broker started with forceRegister=false asks QUERY_DATA_VERSION every
                // period; once forced, it sends its full REGISTER_BROKER body every period.
                Thread.sleep(15_000);
                step("UPDATE_BROKER_CONFIG forceRegister=true on " + c.broker, () -> {
                    Properties p = new Properties();
                    p.setProperty("forceRegister", "true");
                    c.admin.updateBrokerConfig(c.broker, p);
                });
            } else {
                c.runAll();
            }
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            rc = 1;
        } finally {
            c.shutdownAll();
        }
        System.out.println("DONE");
        System.exit(rc);
    }

    private static boolean classExists(String name) {
        try {
            Class.forName(name);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static String name(String role) {
        return "cap_" + role + "_" + RUN;
    }

    /** Runs one step; a failure is printed and does not stop the run. */
    private static void step(String what, ThrowingRunnable r) {
        try {
            r.run();
            System.out.println("STEP " + what + " ok");
        } catch (Throwable t) {
            System.out.println("STEP " + what + " FAILED: " + t);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void startAdmin() throws Exception {
        admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("cap-admin-" + RUN);
        admin.setHeartbeatBrokerInterval(4000);
        admin.start();
        shutdowns.add(admin::shutdown);
    }

    private void shutdownAll() {
        for (int i = shutdowns.size() - 1; i >= 0; i--) {
            try {
                shutdowns.get(i).run();
            } catch (RuntimeException e) {
                System.out.println("shutdown: " + e);
            }
        }
        shutdowns.clear();
    }

    private <T extends ClientConfig> T client(T c, String instance) {
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("cap-" + instance + "-" + RUN);
        c.setHeartbeatBrokerInterval(4000);
        c.setPollNameServerInterval(3000);
        return c;
    }

    private void runAll() throws Exception {
        String topic = name("topic");
        String orderTopic = name("order_topic");
        String assignTopic = name("assign_topic");
        for (String t : List.of(topic, orderTopic, assignTopic)) {
            step("create topic " + t, () -> admin.createAndUpdateTopicConfig(broker, new TopicConfig(t, 4, 4, 6)));
        }
        adminBodies(topic);
        Thread.sleep(4000); // route pulls see the new topics

        DefaultMQProducer producer = client(new DefaultMQProducer(name("pg")), "producer");
        producer.start();
        shutdowns.add(producer::shutdown);

        Consumer<String> count = g -> received.merge(g, 1, Integer::sum);
        startPush("push_tag", topic, MessageSelector.byTag("a || b"), "CLUSTERING", false, count);
        startPush("bcast", topic, MessageSelector.byTag("*"), "BROADCASTING", false, count);
        startPush("sql", topic, MessageSelector.bySql("a between 0 and 9"), "CLUSTERING", false, count);
        startPush("order", orderTopic, MessageSelector.byTag("*"), "CLUSTERING", true, count);
        if (V5) {
            step("push with clientRebalance=false (QUERY_ASSIGNMENT)", () -> {
                DefaultMQPushConsumer c = pushConsumer("assign_q", assignTopic, MessageSelector.byTag("*"),
                    "CLUSTERING", false, count);
                c.getClass().getMethod("setClientRebalance", boolean.class).invoke(c, false);
                startConsumer(c);
            });
            step("push with heartbeat v2", () -> {
                DefaultMQPushConsumer c = pushConsumer("hbv2", topic, MessageSelector.byTag("*"),
                    "CLUSTERING", false, count);
                ClientConfig.class.getMethod("setUseHeartbeatV2", boolean.class).invoke(c, true);
                startConsumer(c);
            });
        }
        step("mixed producer + push consumer in one instance", () -> {
            DefaultMQProducer p = client(new DefaultMQProducer(name("mixed_pg")), "mixed");
            p.start();
            shutdowns.add(p::shutdown);
            DefaultMQPushConsumer c = pushConsumer("mixed", topic, MessageSelector.byTag("b"),
                "CLUSTERING", false, count);
            c.setInstanceName(p.getInstanceName());
            startConsumer(c);
        });
        DefaultLitePullConsumer liteSub = client(new DefaultLitePullConsumer(name("lite_sub")), "lite-sub");
        step("lite pull subscribe", () -> {
            liteSub.subscribe(topic, "a || c");
            liteSub.start();
            shutdowns.add(liteSub::shutdown);
        });
        DefaultLitePullConsumer liteAssign = client(new DefaultLitePullConsumer(name("lite_assign")), "lite-assign");
        step("lite pull assign", () -> {
            liteAssign.setAutoCommit(false);
            liteAssign.start();
            shutdowns.add(liteAssign::shutdown);
            Collection<MessageQueue> mqs = liteAssign.fetchMessageQueues(topic);
            liteAssign.assign(mqs);
        });

        Thread.sleep(3000);
        List<String> msgIds = new ArrayList<>();
        step("send", () -> {
            for (int i = 0; i < 8; i++) {
                Message m = new Message(topic, i % 2 == 0 ? "a" : "b", "key" + i,
                    ("capture body " + i).getBytes(StandardCharsets.UTF_8));
                m.putUserProperty("a", Integer.toString(i));
                SendResult r = producer.send(m);
                msgIds.add(r.getMsgId());
                Message o = new Message(orderTopic, "o", ("order body " + i).getBytes(StandardCharsets.UTF_8));
                producer.send(o, (queues, msg, arg) -> queues.get(0), null);
                Message q = new Message(assignTopic, "q", ("assign body " + i).getBytes(StandardCharsets.UTF_8));
                producer.send(q);
            }
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(new Message(topic, "c", ("batch body " + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.send(batch);
        });
        step("lite pull polls", () -> {
            long end = System.currentTimeMillis() + 6000;
            while (System.currentTimeMillis() < end) {
                liteSub.poll(500);
                if (!liteAssign.poll(500).isEmpty()) {
                    liteAssign.commit(liteAssign.assignment(), true);
                }
            }
        });
        System.out.println("received per group: " + received);
        String firstId = msgIds.isEmpty() ? null : msgIds.get(0);
        poke(name("push_tag"), topic, firstId);
        poke(name("order"), orderTopic, null);
        if (V5) {
            poke(name("assign_q"), assignTopic, null);
        }
        step("CLONE_GROUP_OFFSET", () -> admin.cloneGroupOffset(name("push_tag"), name("push_tag_clone"), topic, false));
        Thread.sleep(9000); // periodic heartbeats (v2: without subscriptions) and lock renewals
    }

    private DefaultMQPushConsumer pushConsumer(String role, String topic, MessageSelector sel, String model,
            boolean orderly, Consumer<String> count) throws Exception {
        String group = name(role);
        DefaultMQPushConsumer c = client(new DefaultMQPushConsumer(group), role.replace('_', '-'));
        setMessageModel(c, model);
        // The broadcasting consumer starts from a timestamp (30 min back): one more enum value on the wire.
        c.setConsumeFromWhere(model.equals("BROADCASTING") ? ConsumeFromWhere.CONSUME_FROM_TIMESTAMP
            : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, sel);
        if (orderly) {
            c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                msgs.forEach(m -> count.accept(group));
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                msgs.forEach(m -> count.accept(group));
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }
        return c;
    }

    /** setMessageModel by name: the enum's package differs between 4.9.x and 5.x. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void setMessageModel(DefaultMQPushConsumer c, String model) throws Exception {
        for (Method m : DefaultMQPushConsumer.class.getMethods()) {
            if (m.getName().equals("setMessageModel")) {
                Class<? extends Enum> type = (Class<? extends Enum>) m.getParameterTypes()[0];
                m.invoke(c, Enum.valueOf(type, model));
                return;
            }
        }
        throw new NoSuchMethodException("setMessageModel");
    }

    private void startConsumer(DefaultMQPushConsumer c) throws Exception {
        c.start();
        shutdowns.add(c::shutdown);
    }

    private void startPush(String role, String topic, MessageSelector sel, String model, boolean orderly,
            Consumer<String> count) {
        step("push consumer " + role, () -> startConsumer(pushConsumer(role, topic, sel, model, orderly, count)));
    }

    /** Admin API calls whose requests carry a body (or that 5.x sends with one). */
    private void adminBodies(String topic) {
        String group = name("admin_sg");
        step("UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", () -> {
            Object sgc = subscriptionGroupConfig(group);
            adminCall("createAndUpdateSubscriptionGroupConfig", broker, sgc);
        });
        step("UPDATE_BROKER_CONFIG", () -> {
            Properties p = new Properties();
            p.setProperty("maxMessageSize", "4194304");
            admin.updateBrokerConfig(broker, p);
        });
        if (V5) {
            step("UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST", () -> {
                List<Object> l = List.of(subscriptionGroupConfig(name("admin_sg_l1")),
                    subscriptionGroupConfig(name("admin_sg_l2")));
                adminCall("createAndUpdateSubscriptionGroupConfigList", broker, l);
            });
            step("UPDATE_AND_CREATE_TOPIC_LIST", () -> {
                List<TopicConfig> l = List.of(new TopicConfig(name("list_t1"), 2, 2, 6),
                    new TopicConfig(name("list_t2"), 1, 1, 6));
                adminCall("createAndUpdateTopicConfigList", broker, l);
            });
            step("SET_MESSAGE_REQUEST_MODE", () -> {
                Class<?> mode = Class.forName("org.apache.rocketmq.common.message.MessageRequestMode");
                Object pull = mode.getMethod("valueOf", String.class).invoke(null, "PULL");
                adminCall("setMessageRequestMode", broker, name("assign_topic"), name("assign_q"), pull, 1, 5000L);
            });
        }
    }

    private static Object subscriptionGroupConfig(String group) throws Exception {
        Class<?> cls = classExists("org.apache.rocketmq.common.subscription.SubscriptionGroupConfig")
            ? Class.forName("org.apache.rocketmq.common.subscription.SubscriptionGroupConfig")
            : Class.forName("org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig");
        Object sgc = cls.getDeclaredConstructor().newInstance();
        cls.getMethod("setGroupName", String.class).invoke(sgc, group);
        cls.getMethod("setRetryMaxTimes", int.class).invoke(sgc, 3);
        cls.getMethod("setConsumeBroadcastEnable", boolean.class).invoke(sgc, false);
        return sgc;
    }

    /** Calls a DefaultMQAdminExt method by name and arity (its parameter types differ by version). */
    private Object adminCall(String method, Object... args) throws Exception {
        for (Method m : DefaultMQAdminExt.class.getMethods()) {
            if (m.getName().equals(method) && m.getParameterCount() == args.length) {
                try {
                    return m.invoke(admin, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    throw cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause);
                }
            }
        }
        throw new NoSuchMethodException(method + "/" + args.length);
    }

    /**
     * Makes the broker call GROUP's clients: GET_CONSUMER_RUNNING_INFO, GET_CONSUMER_STATUS_FROM_CLIENT,
     * CONSUME_MESSAGE_DIRECTLY (with a message id) and RESET_CONSUMER_CLIENT_OFFSET.
     */
    private void poke(String group, String topic, String msgId) {
        step("poke " + group, () -> pokeClients(group, topic, msgId));
    }

    private void pokeClients(String group, String topic, String msgId) throws Exception {
        List<String> clientIds = new ArrayList<>();
        long end = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(20);
        while (clientIds.isEmpty() && System.currentTimeMillis() < end) {
            try {
                var conn = admin.examineConsumerConnectionInfo(group);
                conn.getConnectionSet().forEach(c -> clientIds.add(c.getClientId()));
            } catch (Exception e) {
                Thread.sleep(1000);
            }
        }
        System.out.println("poke " + group + " clients " + clientIds);
        for (String cid : clientIds) {
            step("GET_CONSUMER_RUNNING_INFO " + group, () -> admin.getConsumerRunningInfo(group, cid, false));
            if (msgId != null) {
                step("CONSUME_MESSAGE_DIRECTLY " + group,
                    () -> System.out.println("  " + admin.consumeMessageDirectly(group, cid, topic, msgId)));
            }
        }
        step("GET_CONSUMER_STATUS_FROM_CLIENT " + group,
            () -> System.out.println("  " + admin.getConsumeStatus(topic, group, "")));
        step("RESET_CONSUMER_CLIENT_OFFSET " + group,
            () -> System.out.println("  " + admin.resetOffsetByTimestamp(topic, group, 0L, true)));
    }
}
