package rmqrs.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.RemotingClient;
import org.apache.rocketmq.remoting.netty.NettyRemotingAbstract;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Send-latency probe for the official benchmark tools (scripts/bench-compare.sh).
 *
 * <p>The official {@code org.apache.rocketmq.example.benchmark.Producer} prints only the average and
 * the maximum RT in whole milliseconds, so it cannot give a p99. This wrapper runs the official
 * main class unchanged, in the same JVM, and adds a passive {@link RPCHook} to every client
 * instance it creates: the hook times each SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE
 * request from the moment the remoting layer hands it to the channel until its response arrives
 * (System.nanoTime, microsecond buckets). Nothing is added to the wire and the load pattern is the
 * official tool's own.
 *
 * <pre>
 *   java -cp 'target/classes:target/lib/*' rmqrs.bench.Probe \
 *       org.apache.rocketmq.example.benchmark.Producer -n 127.0.0.1:9876 -w 32 -s 1024 -ri 1000
 * </pre>
 *
 * Output (stdout, interleaved with the tool's own lines):
 * <pre>
 *   [probe] ts=EPOCH_MS sends=N nonok=N p50us=N p99us=N maxus=N          once a second
 *   [probe-reset] ts=EPOCH_MS                                            warm-up over (PROBE_WARMUP_MS after the first send)
 *   [probe-total] since=EPOCH_MS until=EPOCH_MS sends=N nonok=N pending=N avgus=F p50us=N p90us=N p99us=N p999us=N maxus=N
 * </pre>
 * The total covers [since, until]: from the end of the warm-up to JVM shutdown (SIGTERM).
 * A send that fails with an exception (timeout, connection) never reaches the hook's
 * after-response and is counted as pending.
 */
public final class Probe {
    private static final int SEND_MESSAGE = 10;
    private static final int SEND_MESSAGE_V2 = 310;
    private static final int SEND_BATCH_MESSAGE = 320;

    /** 1 us buckets below 65,536 us, then 1,024 us buckets up to ~16.8 s. */
    private static final int FINE = 65536;
    private static final int COARSE = 16384;
    private static final int BUCKETS = FINE + COARSE;

    private static final Map<Integer, Long> STARTS = new ConcurrentHashMap<>();
    private static final AtomicReference<AtomicLongArray> WINDOW = new AtomicReference<>(new AtomicLongArray(BUCKETS));
    private static final AtomicReference<AtomicLongArray> TOTAL = new AtomicReference<>(new AtomicLongArray(BUCKETS));
    private static final AtomicLong WINDOW_NONOK = new AtomicLong();
    private static final AtomicLong TOTAL_NONOK = new AtomicLong();
    private static final AtomicLong TOTAL_SUM_US = new AtomicLong();
    private static final AtomicLong FIRST_SEND_MS = new AtomicLong();
    private static volatile long totalSinceMs = System.currentTimeMillis();

    private Probe() {
    }

    static int bucket(long us) {
        if (us < 0) {
            return 0;
        }
        if (us < FINE) {
            return (int) us;
        }
        return FINE + (int) Math.min((us - FINE) >> 10, COARSE - 1);
    }

    static long bucketValue(int idx) {
        return idx < FINE ? idx : FINE + ((long) (idx - FINE) << 10);
    }

    static long[] snapshot(AtomicLongArray h) {
        long[] out = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            out[i] = h.get(i);
        }
        return out;
    }

    static long count(long[] h) {
        long n = 0;
        for (long v : h) {
            n += v;
        }
        return n;
    }

    static long percentile(long[] h, long n, double q) {
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * n);
        if (rank < 1) {
            rank = 1;
        }
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += h[i];
            if (seen >= rank) {
                return bucketValue(i);
            }
        }
        return bucketValue(BUCKETS - 1);
    }

    static long max(long[] h) {
        for (int i = BUCKETS - 1; i >= 0; i--) {
            if (h[i] != 0) {
                return bucketValue(i);
            }
        }
        return 0;
    }

    static final class SendTimer implements RPCHook {
        @Override
        public void doBeforeRequest(String remoteAddr, RemotingCommand request) {
            int code = request.getCode();
            if (code == SEND_MESSAGE || code == SEND_MESSAGE_V2 || code == SEND_BATCH_MESSAGE) {
                STARTS.put(request.getOpaque(), System.nanoTime());
                FIRST_SEND_MS.compareAndSet(0, System.currentTimeMillis());
            }
        }

        @Override
        public void doAfterResponse(String remoteAddr, RemotingCommand request, RemotingCommand response) {
            Long start = STARTS.remove(request.getOpaque());
            if (start == null) {
                return;
            }
            long us = (System.nanoTime() - start) / 1000;
            int b = bucket(us);
            WINDOW.get().incrementAndGet(b);
            TOTAL.get().incrementAndGet(b);
            TOTAL_SUM_US.addAndGet(us);
            if (response == null || response.getCode() != 0) {
                WINDOW_NONOK.incrementAndGet();
                TOTAL_NONOK.incrementAndGet();
            }
        }
    }

    private static final SendTimer HOOK = new SendTimer();
    private static final Set<Object> PATCHED = Collections.newSetFromMap(new ConcurrentHashMap<>());

    /** Puts the hook into a client's hook list by swapping in a copy-on-write list (no concurrent-modification race with senders). */
    @SuppressWarnings("unchecked")
    static void patch(RemotingClient client) throws Exception {
        if (!(client instanceof NettyRemotingAbstract) || !PATCHED.add(client)) {
            return;
        }
        Field f = NettyRemotingAbstract.class.getDeclaredField("rpcHooks");
        f.setAccessible(true);
        List<RPCHook> old = (List<RPCHook>) f.get(client);
        List<RPCHook> hooks = new CopyOnWriteArrayList<>(old);
        hooks.add(HOOK);
        f.set(client, hooks);
    }

    static void installLoop() {
        while (true) {
            try {
                for (MQClientInstance instance : MQClientManager.getInstance().getFactoryTable().values()) {
                    if (instance.getMQClientAPIImpl() != null) {
                        patch(instance.getMQClientAPIImpl().getRemotingClient());
                    }
                }
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                System.out.printf("[probe] install failed: %s%n", e);
                return;
            }
        }
    }

    static void reportLoop(long warmupMs) {
        boolean reset = warmupMs <= 0;
        long next = System.currentTimeMillis() + 1000;
        while (true) {
            try {
                Thread.sleep(Math.max(1, next - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                return;
            }
            next += 1000;
            long now = System.currentTimeMillis();
            AtomicLongArray w = WINDOW.getAndSet(new AtomicLongArray(BUCKETS));
            long nonok = WINDOW_NONOK.getAndSet(0);
            long[] h = snapshot(w);
            long n = count(h);
            System.out.printf("[probe] ts=%d sends=%d nonok=%d p50us=%d p99us=%d maxus=%d%n",
                now, n, nonok, percentile(h, n, 0.50), percentile(h, n, 0.99), max(h));
            long first = FIRST_SEND_MS.get();
            if (!reset && first != 0 && now - first >= warmupMs) {
                reset = true;
                TOTAL.set(new AtomicLongArray(BUCKETS));
                TOTAL_NONOK.set(0);
                TOTAL_SUM_US.set(0);
                totalSinceMs = now;
                System.out.printf("[probe-reset] ts=%d%n", now);
            }
        }
    }

    static void printTotal() {
        long until = System.currentTimeMillis();
        long[] h = snapshot(TOTAL.get());
        long n = count(h);
        double avg = n == 0 ? 0 : TOTAL_SUM_US.get() / (double) n;
        System.out.printf("[probe-total] since=%d until=%d sends=%d nonok=%d pending=%d avgus=%.1f p50us=%d p90us=%d p99us=%d p999us=%d maxus=%d%n",
            totalSinceMs, until, n, TOTAL_NONOK.get(), STARTS.size(), avg, percentile(h, n, 0.50),
            percentile(h, n, 0.90), percentile(h, n, 0.99), percentile(h, n, 0.999), max(h));
        System.out.flush();
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: Probe <official main class> [args...]");
            System.exit(2);
        }
        long warmupMs = Long.parseLong(System.getenv().getOrDefault("PROBE_WARMUP_MS", "0"));
        Thread installer = new Thread(Probe::installLoop, "probe-install");
        installer.setDaemon(true);
        installer.start();
        Thread reporter = new Thread(() -> reportLoop(warmupMs), "probe-report");
        reporter.setDaemon(true);
        reporter.start();
        Runtime.getRuntime().addShutdownHook(new Thread(Probe::printTotal, "probe-total"));

        String[] rest = new String[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) rest);
    }
}
