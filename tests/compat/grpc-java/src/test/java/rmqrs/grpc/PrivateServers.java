package rmqrs.grpc;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Servers of our own started by one test class (from the binaries next to -Dmqadmin), each on a
 * free loopback port: a port taken between the probe and the bind gets a fresh one (three
 * tries); a process that exits before it listens fails at once with its output. Stopped by
 * {@link #stop()}.
 */
final class PrivateServers {
    final Path bin;
    final Path dir;
    private final List<Process> started = new ArrayList<>();

    PrivateServers(String prefix) throws Exception {
        this.bin = Path.of(Grpc.MQADMIN).getParent();
        this.dir = Files.createTempDirectory(prefix);
    }

    /** Starts binary `name` with the config `conf` makes for a port; returns that port. */
    int start(String name, String binary, IntFunction<String> conf) throws Exception {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path file = dir.resolve(name + ".conf");
            Files.writeString(file, conf.apply(port));
            ProcessBuilder pb = new ProcessBuilder(bin.resolve(binary).toString(), "-c", file.toString());
            pb.environment().put("ROCKETMQ_LOG_DIR", dir.resolve("logs-" + name).toString());
            Path out = dir.resolve(name + ".out");
            Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                waitPort(p, port, out);
                started.add(p);
                return port;
            } catch (IllegalStateException e) {
                p.destroyForcibly().waitFor();
                last = e;
            }
        }
        throw last;
    }

    void stop() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).destroyForcibly();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Up to 90 s: a loaded CI machine starts a debug broker slowly. */
    private static void waitPort(Process process, int port, Path out) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (Exception e) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("exited with " + process.exitValue() + " before port " + port
                        + " opened; its output: " + tail(out));
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("port " + port + " never opened; output so far: " + tail(out));
    }

    private static String tail(Path out) {
        try {
            String text = Files.readString(out);
            String last = text.length() > 600 ? text.substring(text.length() - 600) : text;
            return last.strip().replace('\n', '|');
        } catch (Exception e) {
            return "(" + out + " unreadable: " + e + ")";
        }
    }
}
