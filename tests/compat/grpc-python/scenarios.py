"""The official RocketMQ 5.x Python SDK (rocketmq-python-client, gRPC) against our proxy.

Run by ../run-grpc-python-compat.sh, which starts a name server, one broker set and the proxy
and sets PROXY_ENDPOINT, NAMESRV_ADDR and MQADMIN_BIN (and COMPAT_PY_TLS=1 to dial TLS, with
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH naming the proxy's certificate: the SDK checks it). Every
scenario makes its own topic and group with our mqadmin and asserts the exact set of message
ids. `python scenarios.py TABLE` runs them (COMPAT_PY_RUN: only names containing it) and
appends Markdown rows to TABLE; the exit code is 1 on a failure.
"""

import logging
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid

from rocketmq import (ClientConfiguration, Credentials, FilterExpression, Message, Producer,
                      SimpleConsumer, TransactionChecker, TransactionResolution)

ENDPOINT = os.environ.get("PROXY_ENDPOINT", "127.0.0.1:8081")
NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
MQADMIN = os.environ.get("MQADMIN_BIN", "mqadmin")
TLS = os.environ.get("COMPAT_PY_TLS") == "1"
# The private ACL-enabled set of cluster.sh start_auth_set (test_credentials; unset: skipped).
AUTH_ENDPOINT = os.environ.get("AUTH_PROXY_ENDPOINT")


def unique(prefix):
    return f"grpcpy_{prefix}_{uuid.uuid4().hex[:8]}"


def mqadmin(*args):
    out = subprocess.run([MQADMIN, *args, "-n", NAMESRV], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"mqadmin {' '.join(args)} failed: {out.stdout}{out.stderr}")


def topic(prefix):
    name = unique(prefix)
    mqadmin("updateTopic", "-c", "DefaultCluster", "-t", name, "-r", "4", "-w", "4")
    return name


def group(prefix, orderly=False):
    name = unique(prefix)
    mqadmin("updateSubGroup", "-c", "DefaultCluster", "-g", name, "-o", "true" if orderly else "false")
    return name


def config():
    return ClientConfiguration(ENDPOINT, Credentials(), request_timeout=10)


def message(topic_name, body, tag="py", **fields):
    m = Message()
    m.topic = topic_name
    m.body = body.encode()
    m.tag = tag
    for key, value in fields.items():
        setattr(m, key, value)
    return m


class Clients:
    """Starts clients and shuts every one down at the end of a test."""

    def __init__(self, test):
        self.started = []
        test.addCleanup(self.shutdown)

    def producer(self, topic_name, checker=None, configuration=None):
        p = Producer(configuration or config(), (topic_name,), checker, tls_enable=TLS)
        self.started.append(p)
        p.startup()
        return p

    def consumer(self, group_name, topic_name, configuration=None):
        c = SimpleConsumer(configuration or config(), group_name, {topic_name: FilterExpression()},
                           await_duration=5, tls_enable=TLS)
        c.startup()
        self.started.append(c)
        return c

    def shutdown(self):
        for client in reversed(self.started):
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001 - a failed shutdown must not hide the test's result
                pass


def receive_and_ack(consumer, want, timeout):
    """Receives and acks until `want` messages came or `timeout` seconds passed."""
    got = []
    end = time.time() + timeout
    while len(got) < want and time.time() < end:
        for m in consumer.receive(16, 30):
            consumer.ack(m)
            got.append(m)
    return got


def auth_admin(*args):
    """Our mqadmin on the ACL-enabled set, signed as its super user; retried while the broker
    registers."""
    cmd = [MQADMIN, *args, "-n", os.environ["AUTH_NAMESRV_ADDR"], "--accessKey",
           os.environ["AUTH_ADMIN_AK"], "--secretKey", os.environ["AUTH_ADMIN_SK"]]
    for _ in range(60):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if out.returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError(f"mqadmin {' '.join(args)} failed: {out.stdout}{out.stderr}")


class SdkLog(logging.Handler):
    """The SDK's log lines (logger rocketmq-python-client) while a test runs."""

    def __init__(self, test):
        super().__init__(logging.INFO)
        self.lines = []
        sdk = logging.getLogger("rocketmq-python-client")
        sdk.addHandler(self)
        test.addCleanup(sdk.removeHandler, self)

    def emit(self, record):
        self.lines.append(record.getMessage())


class Checker(TransactionChecker):
    """Commits half messages whose body starts with `check-commit`, rolls back the others."""

    def __init__(self):
        self.asked = {}
        self.lock = threading.Lock()

    def check(self, msg):
        with self.lock:
            self.asked[msg.message_id] = self.asked.get(msg.message_id, 0) + 1
        if msg.body.startswith(b"check-commit"):
            return TransactionResolution.COMMIT
        return TransactionResolution.ROLLBACK


class Scenarios(unittest.TestCase):
    def test_send_receive_ack_exact_ids(self):
        t, g = topic("normal"), group("normalG")
        clients = Clients(self)
        p, c = clients.producer(t), clients.consumer(g, t)
        sent = {p.send(message(t, f"normal-{i}", keys=f"k{i}")).message_id for i in range(20)}
        got = receive_and_ack(c, len(sent), 90)
        self.assertEqual(sent, {m.message_id for m in got})
        self.assertEqual(len(sent), len(got), "each message once")
        self.assertEqual([], c.receive(16, 30), "nothing left after the acks")

    def test_fifo_order_per_message_group(self):
        t, g = topic("fifo"), group("fifoG", orderly=True)
        clients = Clients(self)
        p, c = clients.producer(t), clients.consumer(g, t)
        sent = {}
        for i in range(24):
            mg = f"order-{i % 3}"
            receipt = p.send(message(t, f"{mg}-{i}", message_group=mg))
            sent.setdefault(mg, []).append(receipt.message_id)
        received = {}
        for m in receive_and_ack(c, 24, 120):
            received.setdefault(m.message_group, []).append(m.message_id)
        self.assertEqual(sent, received, "every message once, in send order per message group")

    def test_delay_message_not_before_its_time(self):
        t, g = topic("delay"), group("delayG")
        clients = Clients(self)
        p, c = clients.producer(t), clients.consumer(g, t)
        # SDK 5.1.2 writes the value it is given into the timestamp's seconds field (it reads
        # milliseconds back): a delivery time in seconds is what reaches the proxy right.
        at_s = int(time.time()) + 6
        msg_id = p.send(message(t, "later", delivery_timestamp=at_s)).message_id
        got = receive_and_ack(c, 1, 60)
        self.assertGreaterEqual(time.time(), at_s - 1, "received before its delivery time")
        self.assertEqual([msg_id], [m.message_id for m in got])
        self.assertEqual(at_s * 1000, got[0].delivery_timestamp)

    def test_recall_delay_message(self):
        t, g = topic("recall"), group("recallG")
        clients = Clients(self)
        p, c = clients.producer(t), clients.consumer(g, t)
        at_s = int(time.time()) + 5  # seconds: see test_delay_message_not_before_its_time
        recalled = p.send(message(t, "recalled", delivery_timestamp=at_s))
        kept = p.send(message(t, "kept", delivery_timestamp=at_s)).message_id
        self.assertTrue(recalled.recall_handle, "a delay message's receipt carries a recall handle")
        self.assertEqual(recalled.message_id, p.recall_message(t, recalled.recall_handle))
        got = receive_and_ack(c, 1, 60)
        got += c.receive(16, 30)
        self.assertEqual([kept], [m.message_id for m in got], "only the message not recalled")

    def test_transaction_commit_rollback_and_check_back(self):
        t, g = topic("tx"), group("txG")
        clients = Clients(self)
        checker = Checker()
        p, c = clients.producer(t, checker), clients.consumer(g, t)
        delivered = set()
        for i in range(3):
            tx = p.begin_transaction()
            delivered.add(p.send(message(t, f"commit-{i}"), tx).message_id)
            tx.commit()
            tx = p.begin_transaction()
            p.send(message(t, f"rollback-{i}"), tx)
            tx.rollback()
        # Left open: the broker checks back through the proxy and the checker decides.
        delivered.add(p.send(message(t, "check-commit"), p.begin_transaction()).message_id)
        open_rollback = p.send(message(t, "check-rollback"), p.begin_transaction()).message_id
        got = receive_and_ack(c, len(delivered), 120)
        end = time.time() + 60
        while open_rollback not in checker.asked and time.time() < end:
            time.sleep(0.2)
        got += c.receive(16, 30)
        self.assertEqual(delivered, {m.message_id for m in got}, "committed and checked-back-committed only")
        self.assertEqual(len(delivered), len(got), "each once")
        self.assertIn(open_rollback, checker.asked, "the checker was asked about the open rollback")

    def test_change_invisible_duration_redelivers(self):
        t, g = topic("invis"), group("invisG")
        clients = Clients(self)
        p, c = clients.producer(t), clients.consumer(g, t)
        msg_id = p.send(message(t, "again")).message_id
        first = []
        end = time.time() + 60
        while not first and time.time() < end:
            first = c.receive(1, 60)
        self.assertEqual([msg_id], [m.message_id for m in first])
        c.change_invisible_duration(first[0], 2)
        second = []
        end = time.time() + 60
        while not second and time.time() < end:
            second = c.receive(1, 60)
        self.assertEqual([msg_id], [m.message_id for m in second], "redelivered after the new duration")
        self.assertEqual(2, second[0].delivery_attempt)
        c.ack(second[0])
        self.assertEqual([], c.receive(1, 60), "nothing left after the ack")


    def test_credentials(self):
        """ACL 2.0 through the proxy: user `app` (made with our mqadmin) has PUB and SUB on one topic
        and SUB on one group. A wrong secret and a topic the policy does not name are refused
        (UNAUTHORIZED with the proxy's reason); the right secret sends and receives the exact set
        of ids, and nothing else is stored."""
        if not AUTH_ENDPOINT:
            self.skipTest("AUTH_PROXY_ENDPOINT is not set (run-grpc-python-compat.sh starts the set)")
        t, other, g, user = unique("auth"), unique("authother"), unique("authG"), unique("app")
        for name in (t, other):
            auth_admin("updateTopic", "-c", "DefaultCluster", "-t", name, "-r", "2", "-w", "2")
        auth_admin("updateSubGroup", "-c", "DefaultCluster", "-g", g)
        broker = os.environ["AUTH_BROKER_ADDR"]
        auth_admin("createUser", "-b", broker, "-u", user, "-p", "app-secret")
        auth_admin("createAcl", "-b", broker, "-s", f"User:{user}", "-r", f"Topic:{t},Group:{g}",
                   "-a", "Pub,Sub", "-d", "Allow")

        def cfg(secret):
            return ClientConfiguration(AUTH_ENDPOINT, Credentials(user, secret), request_timeout=10)

        clients, log = Clients(self), SdkLog(self)
        # SDK 5.1.2 is refused at its first call, QueryRoute: it logs the UnauthorizedException
        # (code 40100 and the proxy's reason) and send then fails for want of a route.
        for topic_name, secret, reason in ((t, "not-the-secret", "check signature failed"),
                                           (other, "app-secret", f"no permission to access Topic:{other}")):
            refused = clients.producer(topic_name, configuration=cfg(secret))
            with self.assertRaisesRegex(Exception, f"failed to fetch topic:{topic_name} route"):
                refused.send(message(topic_name, "refused"))
            lines = [line for line in log.lines if line.startswith("query topic raise exception, 40100, ")]
            self.assertTrue(any(reason in line for line in lines), f"UNAUTHORIZED ({reason}): {log.lines}")
        p = clients.producer(t, configuration=cfg("app-secret"))
        sent = {p.send(message(t, f"auth-{i}")).message_id for i in range(10)}
        c = clients.consumer(g, t, configuration=cfg("app-secret"))
        got = receive_and_ack(c, len(sent), 90)
        self.assertEqual(sent, {m.message_id for m in got}, "exactly the messages of the right secret")
        self.assertEqual(len(sent), len(got), "each once")
        self.assertEqual([], c.receive(16, 30), "nothing else is stored")


class TableResult(unittest.TextTestResult):
    """Records each scenario's status for the table."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.rows.append((test.id().split(".")[-1], "pass"))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.rows.append((test.id().split(".")[-1], "fail"))

    def addError(self, test, err):
        super().addError(test, err)
        self.rows.append((test.id().split(".")[-1], "fail"))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Scenarios)
    only = os.environ.get("COMPAT_PY_RUN")
    if only:
        suite = unittest.TestSuite(t for t in suite if only in t.id())
    result = unittest.TextTestRunner(verbosity=2, resultclass=TableResult).run(suite)
    mode = "TLS" if TLS else "plaintext"
    print(f"\n{'scenario':<60} Python SDK 5.x")
    for name, status in result.rows:
        print(f"{name + ' (' + mode + ')':<60} {status}")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a", encoding="utf-8") as f:
            f.writelines(f"| {name} ({mode}) | {status} |\n" for name, status in result.rows)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
