package rmqrs.compat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The official Java producer and consumer across controller-mode failovers, driven by
 * {@code tests/compat/run-controller-failover.sh}.
 *
 * <p>{@code ControllerFailover <namesrv> <brokerName> <dir>}: creates the topic on the broker
 * set's master, then {@code SENDERS} threads send synchronously, each paced at {@code RATE}
 * messages per second (a key and a body per message), recording when each send began and ended,
 * its status and its msgId. It writes {@code <dir>/ready} after the first 100 SEND_OKs. The
 * runner kills masters meanwhile and appends each kill's wall-clock time (ms) to
 * {@code <dir>/kills}; when {@code <dir>/stop} appears the senders stop and the driver checks:
 * <ul>
 *   <li>per kill, the failover time: from the kill to the end of the first SEND_OK of a send begun
 *   after it (writes resumed); printed per kill, then median and max;</li>
 *   <li>a new consumer group reading from the first offset receives every message the producer
 *   got SEND_OK for, with the msgId the send returned, and nothing that was never sent.</li>
 * </ul>
 * Exit status 0 when every kill was followed by a SEND_OK and every acknowledged message was
 * consumed; the figures are reported, not asserted.
 */
public final class ControllerFailover {
    /** One send: when it began and ended (wall clock, ms), its status, key and msgId. */
    record Send(long began, long ended, String status, String key, String msgId) {
    }

    private static final int SENDERS = Integer.getInteger("senders", 4);
    private static final int RATE = Integer.getInteger("rate", 25);
    private static final long CONSUME_WAIT_MS = Long.getLong("consumeWaitMs", 180_000);

    private ControllerFailover() {
    }

    public static void main(String[] args) throws Exception {
        String namesrv = args[0];
        String brokerName = args[1];
        Path dir = Path.of(args[2]);
        String topic = "ControllerFailover" + System.currentTimeMillis();
        createTopic(namesrv, brokerName, topic);
        List<Send> sends = Collections.synchronizedList(new ArrayList<>());
        produceUntilStop(namesrv, topic, dir, sends);
        boolean ok = reportFailovers(readKills(dir.resolve("kills")), sends);
        ok &= checkConsumed(namesrv, topic, sends);
        System.out.println(ok ? "RESULT PASS" : "RESULT FAIL");
        System.exit(ok ? 0 : 1);
    }

    /** Waits until the set has a routed master, then creates the topic there (4 queues). */
    static void createTopic(String namesrv, String brokerName, String topic) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("cf-admin-" + ProcessHandle.current().pid());
        admin.start();
        try {
            long deadline = System.currentTimeMillis() + 60_000;
            while (true) {
                var set = admin.examineBrokerClusterInfo().getBrokerAddrTable().get(brokerName);
                String master = set == null ? null : set.getBrokerAddrs().get(0L);
                if (master != null) {
                    TopicConfig cfg = new TopicConfig(topic);
                    cfg.setReadQueueNums(4);
                    cfg.setWriteQueueNums(4);
                    admin.createAndUpdateTopicConfig(master, cfg);
                    System.out.println("topic " + topic + " created on " + master);
                    return;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("no master routed for " + brokerName);
                }
                Thread.sleep(200);
            }
        } finally {
            admin.shutdown();
        }
    }

    static void produceUntilStop(String namesrv, String topic, Path dir, List<Send> sends) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer("cf_producer");
        p.setNamesrvAddr(namesrv);
        p.setInstanceName("cf-producer-" + ProcessHandle.current().pid());
        // Routes are read again every second (default 30 s): a new master's address reaches the
        // client within a second of its registration.
        p.setPollNameServerInterval(1000);
        p.start();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong seq = new AtomicLong();
        AtomicLong acked = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < SENDERS; t++) {
            Thread th = new Thread(() -> sendLoop(p, topic, stop, seq, acked, sends), "sender-" + t);
            th.start();
            threads.add(th);
        }
        boolean ready = false;
        while (!Files.exists(dir.resolve("stop"))) {
            if (!ready && acked.get() >= 100) {
                Files.writeString(dir.resolve("ready"), "ready\n");
                ready = true;
            }
            Thread.sleep(100);
        }
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        p.shutdown();
    }

    private static void sendLoop(DefaultMQProducer p, String topic, AtomicBoolean stop, AtomicLong seq,
            AtomicLong acked, List<Send> sends) {
        long period = 1000L / RATE;
        while (!stop.get()) {
            String key = "cf-" + seq.getAndIncrement();
            long began = System.currentTimeMillis();
            String status;
            String msgId = null;
            try {
                Message m = new Message(topic, "TagA", key, key.getBytes(StandardCharsets.UTF_8));
                SendResult r = p.send(m);
                status = r.getSendStatus().name();
                msgId = r.getMsgId();
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    acked.incrementAndGet();
                }
            } catch (Exception e) {
                status = "EXCEPTION";
            }
            long ended = System.currentTimeMillis();
            sends.add(new Send(began, ended, status, key, msgId));
            long pause = period - (ended - began);
            if (pause > 0) {
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    static List<Long> readKills(Path file) throws Exception {
        List<Long> kills = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    kills.add(Long.parseLong(line.trim()));
                }
            }
        }
        return kills;
    }

    /** Per kill: from the kill to the end of the first SEND_OK of a send begun after it. */
    static boolean reportFailovers(List<Long> kills, List<Send> sends) {
        Map<String, Integer> statuses = new HashMap<>();
        List<Send> snapshot;
        synchronized (sends) {
            snapshot = new ArrayList<>(sends);
        }
        for (Send s : snapshot) {
            statuses.merge(s.status(), 1, Integer::sum);
        }
        System.out.println("sends by status: " + statuses);
        List<Long> times = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < kills.size(); i++) {
            long k = kills.get(i);
            long resumed = snapshot.stream()
                .filter(s -> s.began() > k && s.status().equals("SEND_OK"))
                .mapToLong(Send::ended)
                .min()
                .orElse(-1);
            if (resumed < 0) {
                System.out.println("KILL " + (i + 1) + " writes did not resume");
                ok = false;
                continue;
            }
            times.add(resumed - k);
            System.out.println("KILL " + (i + 1) + " writes resumed after " + (resumed - k) + " ms");
        }
        if (!times.isEmpty()) {
            List<Long> sorted = new ArrayList<>(times);
            Collections.sort(sorted);
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
            System.out.printf("FAILOVER kills=%d median_ms=%.0f max_ms=%d min_ms=%d%n", n, median, sorted.get(n - 1),
                sorted.get(0));
        }
        return ok;
    }

    /** A new group reads from the first offset: every SEND_OK message, with its msgId, is there. */
    static boolean checkConsumed(String namesrv, String topic, List<Send> sends) throws Exception {
        Map<String, String> ackedIds = new HashMap<>();
        Set<String> attempted = new HashSet<>();
        for (Send s : sends) {
            attempted.add(s.key());
            if (s.status().equals("SEND_OK")) {
                ackedIds.put(s.key(), s.msgId());
            }
        }
        Map<String, Set<String>> seen = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer("cf_consumer_" + System.currentTimeMillis());
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("cf-consumer-" + ProcessHandle.current().pid());
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (var m : msgs) {
                seen.computeIfAbsent(m.getKeys(), k -> ConcurrentHashMap.newKeySet()).add(m.getMsgId());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        long deadline = System.currentTimeMillis() + CONSUME_WAIT_MS;
        List<String> missing = missing(ackedIds, seen);
        while (!missing.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            missing = missing(ackedIds, seen);
        }
        c.shutdown();
        Set<String> unknown = new HashSet<>(seen.keySet());
        unknown.removeAll(attempted);
        System.out.println("acknowledged " + ackedIds.size() + ", consumed keys " + seen.size() + ", missing "
            + missing.size() + ", never sent " + unknown.size());
        if (!missing.isEmpty()) {
            System.out.println("missing (first 10): " + missing.subList(0, Math.min(10, missing.size())));
        }
        if (!unknown.isEmpty()) {
            System.out.println("never sent: " + unknown);
        }
        return missing.isEmpty() && unknown.isEmpty();
    }

    /** Acknowledged keys not consumed yet, or consumed under another msgId. */
    private static List<String> missing(Map<String, String> ackedIds, Map<String, Set<String>> seen) {
        List<String> out = new ArrayList<>();
        for (var e : ackedIds.entrySet()) {
            Set<String> ids = seen.get(e.getKey());
            if (ids == null || !ids.contains(e.getValue())) {
                out.add(e.getKey());
            }
        }
        Collections.sort(out);
        return out;
    }
}
