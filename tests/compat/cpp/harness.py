"""Helpers of the C++-core scenarios: our mqadmin, unique names, clients of the official Python
wrapper (rocketmq-client-python 2.0.0 over librocketmq.so), and a thread-safe collector of what
a push consumer received."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import cppcore
from rocketmq.client import ConsumeStatus, Message, Producer, PushConsumer
from rocketmq.ffi import MessageModel

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
MQADMIN = os.environ.get("MQADMIN_BIN", "mqadmin")
CLUSTER = os.environ.get("COMPAT_CLUSTER", "DefaultCluster")
BROKERS = int(os.environ.get("COMPAT_BROKERS", "2"))  # masters a topic is created on
WAIT = float(os.environ.get("COMPAT_CPP_WAIT", "40"))  # seconds a scenario waits for deliveries
RUN = uuid.uuid4().hex[:6]


class ScenarioError(AssertionError):
    """A scenario's expectation did not hold."""


def check(cond, what):
    """Fails the scenario with `what` unless cond holds."""
    if not cond:
        raise ScenarioError(what)


def uniq(prefix):
    """A name no other scenario or run uses (topics and groups of one run stay apart)."""
    return "%s_%s_%s" % (prefix, RUN, uuid.uuid4().hex[:6])


def mqadmin(*args, timeout=30):
    """Runs our mqadmin with --json against NAMESRV; returns stdout, raises on a non-zero exit."""
    cmd = [MQADMIN, *args, "-n", NAMESRV, "--json"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise ScenarioError("%s -> exit %d: %s" % (" ".join(cmd), res.returncode, res.stderr.strip()))
    return res.stdout


def create_topic(topic, queues=4, brokers=BROKERS, order=False):
    """Creates topic on every master of the cluster and waits until the name server routes it to
    `brokers` brokers."""
    extra = ["-o", "true"] if order else []
    mqadmin("updateTopic", "-c", CLUSTER, "-t", topic, "-r", str(queues), "-w", str(queues), *extra)
    deadline = time.time() + 15
    last = ""
    while time.time() < deadline:
        try:
            route = json.loads(mqadmin("topicRoute", "-t", topic))
            names = {q.get("brokerName") for q in route.get("queueDatas", [])}
            if len(names) >= brokers:
                return
            last = "brokers %s" % sorted(names)
        except (ScenarioError, ValueError) as e:
            last = str(e)
        time.sleep(0.2)
    raise ScenarioError("no route for %s on %d brokers (last: %s)" % (topic, brokers, last))


def producer(group=None, orderly=False):
    """A started producer of the official wrapper."""
    p = Producer(group or uniq("PG"), orderly=orderly, timeout=10000)
    p.set_name_server_address(NAMESRV)
    p.start()
    return p


def message(topic, body, tags=None, keys=None, props=None, delay_level=None):
    """A message of the official wrapper."""
    m = Message(topic)
    m.set_body(body)
    if tags:
        m.set_tags(tags)
    if keys:
        m.set_keys(keys)
    for k, v in (props or {}).items():
        m.set_property(k, v)
    if delay_level:
        m.set_delay_time_level(delay_level)
    return m


def text(val):
    """bytes or None from the wrapper's getters as text."""
    if val is None:
        return ""
    return val.decode() if isinstance(val, bytes) else str(val)


class Received:
    """What one push consumer got: every delivery, in arrival order."""

    def __init__(self, name=""):
        self.name = name
        self.lock = threading.Lock()
        self.deliveries = []  # dicts, one per delivery (redeliveries included)

    def record(self, msg):
        d = {
            "id": msg.id,
            "body": text(msg.body),
            "tags": text(msg.tags),
            "keys": text(msg.keys),
            "queue_id": msg.queue_id,
            "reconsume_times": msg.reconsume_times,
            "born": msg.born_timestamp,
            "store": msg.store_timestamp,
            "at": int(time.time() * 1000),
            "props": {k: text(msg.get_property(k)) for k in ("color", "UNIQ_KEY", "DELAY", "SHARDING_KEY")},
        }
        with self.lock:
            self.deliveries.append(d)
        return d

    def snapshot(self):
        with self.lock:
            return list(self.deliveries)

    def ids(self):
        return {d["id"] for d in self.snapshot()}

    def pairs(self):
        """{(id, body)} received."""
        return {(d["id"], d["body"]) for d in self.snapshot()}


def push_consumer(group, topic, expression="*", received=None, orderly=False, broadcasting=False,
                  instance=None, reply=None):
    """A started push consumer of the official wrapper that records into `received` and answers
    with reply(delivery) (CONSUME_SUCCESS when reply is None)."""
    model = MessageModel.BROADCASTING if broadcasting else MessageModel.CLUSTERING
    c = PushConsumer(group, orderly=orderly, message_model=model)
    c.set_name_server_address(NAMESRV)
    c.set_instance_name(instance or uniq("ci"))
    c.set_thread_count(2)
    # With message trace off (the default), this core crashes in ShutdownPushConsumer
    # (DefaultMQPushConsumerImpl::shutdownMessageTraceInnerProducer), against any broker: so
    # trace is on, and the scenarios also exercise the trace producer (RMQ_SYS_TRACE_TOPIC).
    check(cppcore.dll.SetPushConsumerMessageTrace(c._handle, cppcore.TRACE_OPEN) == 0, "SetPushConsumerMessageTrace")
    rec = received if received is not None else Received(group)

    def on_message(msg):
        try:
            d = rec.record(msg)
        except Exception as e:  # noqa: BLE001 - the wrapper would turn it into RECONSUME_LATER
            print("callback error: %r" % e, file=sys.stderr, flush=True)
            raise
        return reply(d) if reply else ConsumeStatus.CONSUME_SUCCESS

    c.subscribe(topic, on_message, expression)
    c.start()
    return c, rec


def wait_until(cond, timeout=None, step=0.2):
    """Polls cond until true or timeout (default WAIT); returns its last value."""
    deadline = time.time() + (WAIT if timeout is None else timeout)
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


CLIENTS = []  # every started client, shut down by close_all() after the verdict is printed


def shutdown(*clients):
    """Marks clients for shutdown at the end of the scenario (close_all): the verdict is printed
    first, so that a crash of the core in shutdown cannot hide it."""
    CLIENTS.extend(c for c in clients if c is not None)


def close_all():
    """Shuts every marked client down, consumers first; returns the errors."""
    errors = []
    for c in sorted(CLIENTS, key=lambda c: 0 if isinstance(c, PushConsumer) else 1):
        try:
            c.shutdown()
        except Exception as e:  # noqa: BLE001 - reported, not raised
            errors.append(repr(e))
    CLIENTS.clear()
    return errors


def diff(expected, got):
    """A short text of what is missing and what is extra."""
    missing, extra = expected - got, got - expected
    return "missing %d %s; extra %d %s" % (len(missing), sorted(missing)[:5], len(extra), sorted(extra)[:5])


def sent_pairs(results, bodies):
    return {(r.msg_id, b) for r, b in zip(results, bodies)}


def views(doc):
    """The message views (dicts with a msgId) anywhere in mqadmin's JSON."""
    if isinstance(doc, dict):
        return [doc] if "msgId" in doc else [v for x in doc.values() for v in views(x)]
    if isinstance(doc, list):
        return [v for x in doc for v in views(x)]
    return []


def wait_consumers(group, n):
    def count():
        try:
            return len(ids_of_connections(json.loads(mqadmin("consumerConnection", "-g", group)))) >= n
        except (ScenarioError, ValueError):
            return False
    check(wait_until(count, 20), "consumerConnection never showed %d clients of %s" % (n, group))


def ids_of_connections(doc):
    conns = doc.get("connectionSet") or doc.get("connections") or []
    return {c.get("clientId") for c in conns}


def check_redeliveries(rec, expected, last, most):
    """Every message was delivered under its own id with reconsume times rising from 0 to at most
    `most`. The core may skip deliveries: a RECONSUME_LATER fails the rest of its pull batch too,
    whose messages go back to the broker undelivered (their reconsume times then jump), and under
    load retries of several messages often share a batch, so no single message need show every
    step; together they must: every reconsume time 0..last was delivered to some message."""
    got, seen = rec.snapshot(), set()
    for mid, body in expected:
        times = [d["reconsume_times"] for d in got if d["body"] == body]
        ok = times and times[0] == 0 and times[-1] <= most and all(a < b for a, b in zip(times, times[1:]))
        check(ok, "%s delivered with reconsume times %s (all: %s)" % (body, times, redeliveries(rec)))
        seen.update(times)
        ids = {d["id"] for d in got if d["body"] == body}
        check(ids == {mid}, "%s delivered with ids %s, sent as %s" % (body, ids, mid))
    missing = sorted(set(range(last + 1)) - seen)
    check(not missing, "reconsume times %s were never delivered: %s" % (missing, redeliveries(rec)))


def queues_of(doc):
    """The per-queue rows of mqadmin topicStatus --json, whatever the wrapper object."""
    if isinstance(doc, list):
        return [q for q in doc if isinstance(q, dict)]
    for v in doc.values():
        if isinstance(v, list):
            return [q for q in v if isinstance(q, dict)]
    return []


def redeliveries(rec):
    """body -> reconsume times of each delivery, for failure messages."""
    out = {}
    for d in rec.snapshot():
        out.setdefault(d["body"], []).append(d["reconsume_times"])
    return out
