#!/usr/bin/env python3
"""Scenarios of the C++ core client (rocketmq-client-cpp 2.x, through the official Python wrapper
rocketmq-client-python 2.0.0) against our name server and brokers.

Usage: scenarios.py [NAME ...]      runs every scenario (or those named), each in a child process
                                    of its own, prints a table and `N passed, N failed`
       scenarios.py --one NAME      runs one scenario in this process (what the children do)
Env: NAMESRV_ADDR, MQADMIN_BIN (our mqadmin), COMPAT_TABLE (write the table as Markdown there),
COMPAT_CPP_RUN (regexp on scenario names), COMPAT_CPP_WAIT (seconds to wait for deliveries).
Every scenario asserts the exact set of message ids and bodies received."""

import json
import os
import re
import subprocess
import sys
import time

import cppcore
from harness import (BROKERS, CLUSTER, NAMESRV, ScenarioError, check, check_redeliveries, close_all, create_topic,
                     diff, message, mqadmin, producer, push_consumer, queues_of, redeliveries, sent_pairs, shutdown,
                     text, uniq, views, wait_consumers, wait_until)


def sync_async_oneway_send():
    """10 sync, 10 async (SendAsync callbacks), 10 one-way sends; one consumer gets all 30."""
    from cppcore import AsyncSender
    from rocketmq.client import SendStatus

    topic, group = uniq("CppSend"), uniq("CG")
    create_topic(topic)
    p = producer()
    c = None
    try:
        sync_bodies = ["sync-%d" % i for i in range(10)]
        sync = [p.send_sync(message(topic, b)) for b in sync_bodies]
        check(all(r.status == SendStatus.OK for r in sync), "sync statuses %s" % [r.status for r in sync])
        sender = AsyncSender(p._handle)
        async_bodies = ["async-%d" % i for i in range(10)]
        keep = [message(topic, b) for b in async_bodies]  # alive until every callback ran
        for i, m in enumerate(keep):
            sender.send(m, i + 1)
        ok, errors = sender.wait(30)
        check(not errors, "async send errors: %s" % errors)
        check(sorted(ok) == list(range(1, 11)), "async callbacks for %s" % sorted(ok))
        check(all(st == 0 for st, _ in ok.values()), "async statuses %s" % ok)
        oneway_bodies = ["oneway-%d" % i for i in range(10)]
        for b in oneway_bodies:
            p.send_oneway(message(topic, b))
        expected = sent_pairs(sync, sync_bodies) | {(ok[i + 1][1], b) for i, b in enumerate(async_bodies)}
        all_bodies = set(sync_bodies + async_bodies + oneway_bodies)
        c, rec = push_consumer(group, topic)
        wait_until(lambda: {d["body"] for d in rec.snapshot()} >= all_bodies)
        got = rec.snapshot()
        check({d["body"] for d in got} == all_bodies, "bodies: " + diff(all_bodies, {d["body"] for d in got}))
        known = {(d["id"], d["body"]) for d in got if not d["body"].startswith("oneway")}
        check(known == expected, "sync/async (id, body): " + diff(expected, known))
        check(len(got) == 30, "%d deliveries for 30 messages" % len(got))
    finally:
        shutdown(*(x for x in (c, p) if x))


def batch_send():
    """SendBatchMessage with 5 messages: one send, every message delivered with its own body.
    Not in SCENARIOS: the core 2.1 fails it against any broker (Apache RocketMQ 5.5.0 too). It
    sends the batch as SEND_MESSAGE_V2 with the header's batch flag `m` written "1", which Java's
    Boolean.parseBoolean (and so every broker) reads as false: the encoded batch is stored as one
    message. Run it by name to see that: `scenarios.py batch_send`."""
    topic, group = uniq("CppBatch"), uniq("CG")
    create_topic(topic)
    p = producer()
    c = None
    try:
        bodies = ["batch-%d" % i for i in range(5)]
        msgs = [message(topic, b, keys="bk-%d" % i) for i, b in enumerate(bodies)]
        rc, result = cppcore.send_batch(p._handle, msgs)
        check((rc, result.sendStatus) == (0, 0), "SendBatchMessage rc %d status %d" % (rc, result.sendStatus))
        ids = [x for x in result.msgId.decode().split(",") if x]
        c, rec = push_consumer(group, topic)
        wait_until(lambda: {d["body"] for d in rec.snapshot()} >= set(bodies))
        time.sleep(1)
        got = rec.snapshot()
        check(sorted(d["body"] for d in got) == bodies,
              "bodies %s (ids %s)" % ([d["body"] for d in got], [d["id"] for d in got]))
        check(len(ids) == 5 and {d["id"] for d in got} == set(ids), "ids: sent %s, got %s" % (ids, [d["id"] for d in got]))
    finally:
        shutdown(*(x for x in (c, p) if x))


def tags_keys_properties():
    """Tags, several keys, a user property and a 12 KiB body (compressed by the core) reach the
    consumer as sent; the broker indexes the keys."""
    topic, group = uniq("CppTags"), uniq("CG")
    create_topic(topic)
    p = producer()
    c = None
    try:
        sent = {}
        for i in range(6):
            body = "tk-%d" % i
            r = p.send_sync(message(topic, body, tags="Tag%d" % (i % 2), keys="k%d-%s kk%d" % (i, topic, i),
                                    props={"color": "c%d" % i}))
            sent[r.msg_id] = (body, "Tag%d" % (i % 2), "k%d-%s kk%d" % (i, topic, i), "c%d" % i)
        big = "".join("big-%05d;" % i for i in range(1200))  # 12 KiB: the core compresses it (over 4 KiB)
        r = p.send_sync(message(topic, big, tags="TagBig", keys="big-" + topic, props={"color": "big"}))
        sent[r.msg_id] = (big, "TagBig", "big-" + topic, "big")
        c, rec = push_consumer(group, topic)
        wait_until(lambda: rec.ids() >= set(sent))
        got = {d["id"]: (d["body"], d["tags"], d["keys"], d["props"]["color"]) for d in rec.snapshot()}
        check(got == sent, "(id -> body, tags, keys, color): got %s, sent %s" % (got, sent))
        hits = views(json.loads(mqadmin("queryMsgByKey", "-t", topic, "-k", "k3-" + topic)))
        want = [(i, v[0]) for i, v in sent.items() if v[0] == "tk-3"]
        check([(h.get("msgId"), h.get("body")) for h in hits] == want, "queryMsgByKey k3: %s, want %s" % (hits, want))
        big_hits = views(json.loads(mqadmin("queryMsgByKey", "-t", topic, "-k", "big-" + topic)))
        sizes = [(h.get("bodyLength"), h.get("storeSize")) for h in big_hits]
        check(len(sizes) == 1 and sizes[0][0] == len(big) and sizes[0][1] < 4096,
              "the 12 KiB body is stored compressed: (body length, store size) %s" % sizes)
    finally:
        shutdown(*(x for x in (c, p) if x))


def clustering_two_instances():
    """Two instances of one group split the queues: together they get every message once."""
    topic, group = uniq("CppClu"), uniq("CG")
    create_topic(topic)
    c1, rec1 = push_consumer(group, topic, instance="i1")
    c2, rec2 = push_consumer(group, topic, instance="i2")
    p = None
    try:
        wait_consumers(group, 2)
        time.sleep(3)  # both rebalanced onto their halves
        p = producer()
        bodies = ["clu-%d" % i for i in range(40)]
        expected = sent_pairs([p.send_sync(message(topic, b)) for b in bodies], bodies)
        wait_until(lambda: rec1.pairs() | rec2.pairs() >= expected)
        time.sleep(1)
        both = rec1.pairs() | rec2.pairs()
        check(both == expected, "union: " + diff(expected, both))
        check(rec1.snapshot() and rec2.snapshot(), "split %d / %d" % (len(rec1.snapshot()), len(rec2.snapshot())))
        check(not (rec1.ids() & rec2.ids()), "delivered to both: %s" % sorted(rec1.ids() & rec2.ids())[:5])
        n = len(rec1.snapshot()) + len(rec2.snapshot())
        check(n == 40, "%d deliveries for 40 messages" % n)
    finally:
        shutdown(*(x for x in (c1, c2, p) if x))


def consumer_running_info():
    """The broker forwards GET_CONSUMER_RUNNING_INFO to a C++ consumer; our mqadmin consumerStatus
    reads its answer: one client, CONSUME_PASSIVELY, subscribed to the topic and its retry topic,
    holding every queue of the topic."""
    topic, group = uniq("CppInfo"), uniq("CG")
    create_topic(topic)
    c, _ = push_consumer(group, topic)
    shutdown(c)
    wait_consumers(group, 1)
    want_queues = 4 * BROKERS
    state = {}

    def ready():
        try:
            state["doc"] = json.loads(mqadmin("consumerStatus", "-g", group))
        except (ScenarioError, ValueError) as e:
            state["err"] = str(e)
            return False
        infos = state["doc"] if isinstance(state["doc"], list) else []
        held = [q for q in infos[0].get("queues", []) if q.get("topic") == topic] if len(infos) == 1 else []
        return len(held) == want_queues

    check(wait_until(ready, 20), "consumerStatus: %s %s" % (state.get("doc"), state.get("err", ""))[:1500])
    info = state["doc"][0]
    props = info.get("properties", {})
    check(props.get("PROP_CONSUME_TYPE") == "CONSUME_PASSIVELY", "properties %s" % props)
    check(props.get("PROP_CONSUMEORDERLY") == "false", "properties %s" % props)
    subs = {s_.get("topic"): s_.get("subString") for s_ in info.get("subscriptions", [])}
    check(subs == {topic: "*", "%RETRY%" + group: "*"}, "subscriptions %s" % subs)


def broadcasting():
    """Two instances of a BROADCASTING group each get every message."""
    topic, group = uniq("CppBro"), uniq("CG")
    create_topic(topic)
    c1, rec1 = push_consumer(group, topic, broadcasting=True, instance="b1")
    c2, rec2 = push_consumer(group, topic, broadcasting=True, instance="b2")
    p = None
    try:
        wait_consumers(group, 2)
        time.sleep(3)
        p = producer()
        bodies = ["bro-%d" % i for i in range(20)]
        expected = sent_pairs([p.send_sync(message(topic, b)) for b in bodies], bodies)
        wait_until(lambda: rec1.pairs() >= expected and rec2.pairs() >= expected)
        time.sleep(1)
        for rec in (rec1, rec2):
            check(rec.pairs() == expected, "instance %s: %s" % (rec.name, diff(expected, rec.pairs())))
            check(len(rec.snapshot()) == 20, "%d deliveries for 20 messages" % len(rec.snapshot()))
    finally:
        shutdown(*(x for x in (c1, c2, p) if x))


def tag_filter():
    """Subscription `TagA || TagB` gets exactly the TagA and TagB messages, not TagC."""
    topic, group = uniq("CppTag"), uniq("CG")
    create_topic(topic)
    p = producer()
    c = None
    try:
        expected = set()
        for i in range(18):
            tag = "Tag" + "ABC"[i % 3]
            r = p.send_sync(message(topic, "tf-%d-%s" % (i, tag), tags=tag))
            if tag != "TagC":
                expected.add((r.msg_id, "tf-%d-%s" % (i, tag)))
        c, rec = push_consumer(group, topic, expression="TagA || TagB")
        wait_until(lambda: rec.pairs() >= expected)
        time.sleep(2)  # time for a wrong TagC delivery to show
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        check({d["tags"] for d in rec.snapshot()} == {"TagA", "TagB"}, "tags %s" % {d["tags"] for d in rec.snapshot()})
    finally:
        shutdown(*(x for x in (c, p) if x))


def orderly():
    """Orderly producer (by sharding key) + orderly push consumer: per key, one queue, in order."""
    topic, group = uniq("CppOrd"), uniq("CG")
    create_topic(topic)
    p = producer(orderly=True)
    c = None
    try:
        keys = ["order-%d" % k for k in range(4)]
        expected, sent_order = set(), {k: [] for k in keys}
        for seq in range(10):
            for k in keys:
                body = "%s:%d" % (k, seq)
                r = p.send_orderly_with_sharding_key(message(topic, body, keys=k), k)
                expected.add((r.msg_id, body))
                sent_order[k].append(body)
        c, rec = push_consumer(group, topic, orderly=True)
        wait_until(lambda: rec.pairs() >= expected)
        time.sleep(1)
        got = rec.snapshot()
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        check(len(got) == 40, "%d deliveries for 40 messages" % len(got))
        for k in keys:
            seen = [d["body"] for d in got if d["body"].startswith(k + ":")]
            check(seen == sent_order[k], "order of %s: %s" % (k, seen))
            queues = {d["queue_id"] for d in got if d["body"].startswith(k + ":")}
            check(len(queues) == 1, "%s spread over queues %s" % (k, queues))
    finally:
        shutdown(*(x for x in (c, p) if x))


def delay_level():
    """Messages sent with delay level 3 arrive after the level's delay (1 s in the test cluster),
    not before; the rest of the topic arrives at once."""
    topic, group = uniq("CppDelay"), uniq("CG")
    create_topic(topic)
    c, rec = push_consumer(group, topic)
    p = None
    try:
        wait_consumers(group, 1)
        time.sleep(2)
        p = producer()
        bodies = ["delay-%d" % i for i in range(5)]
        expected = sent_pairs([p.send_sync(message(topic, b, delay_level=3)) for b in bodies], bodies)
        wait_until(lambda: rec.pairs() >= expected)
        got = rec.snapshot()
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        early = [(d["body"], d["store"] - d["born"]) for d in got if d["store"] - d["born"] < 900]
        check(not early, "stored in the real topic less than 1 s after born: %s" % early)
        check(all(d["props"]["DELAY"] == "3" for d in got), "DELAY property: %s" % [d["props"]["DELAY"] for d in got])
    finally:
        shutdown(*(x for x in (c, p) if x))


def timer_property():
    """Timer messages through a raw property (the C API has no delivery-time setter):
    TIMER_DELIVER_MS and the ONS-style __STARTDELIVERTIME, ~3 s ahead: each delivered once, not
    before its time."""
    topic, group = uniq("CppTimer"), uniq("CG")
    create_topic(topic)
    c, rec = push_consumer(group, topic)
    p = None
    try:
        wait_consumers(group, 1)
        p = producer()
        due, expected = {}, set()
        for i, prop in enumerate(["TIMER_DELIVER_MS", "__STARTDELIVERTIME"] * 2):
            body = "timer-%d-%s" % (i, prop)
            due[body] = int(time.time() * 1000) + 3000
            r = p.send_sync(message(topic, body, props={prop: str(due[body])}))
            expected.add((r.msg_id, body))
        wait_until(lambda: rec.pairs() >= expected, 30)
        time.sleep(1)
        got = rec.snapshot()
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        check(len(got) == len(expected), "%d deliveries for %d messages" % (len(got), len(expected)))
        early = [(d["body"], due[d["body"]] - d["at"]) for d in got if d["at"] < due[d["body"]]]
        check(not early, "delivered before their time (ms early): %s" % early)
    finally:
        shutdown(*(x for x in (c, p) if x))


def retry_then_success():
    """RECONSUME_LATER until a message's reconsume times reach 2, then success: every message comes
    back from the retry topic under its id until it succeeds at reconsume times 2, once."""
    from rocketmq.client import ConsumeStatus

    topic, group = uniq("CppRetry"), uniq("CG")
    create_topic(topic)
    p = producer()
    c = None
    try:
        bodies = ["retry-%d" % i for i in range(4)]
        expected = sent_pairs([p.send_sync(message(topic, b)) for b in bodies], bodies)

        def reply(d):
            return ConsumeStatus.CONSUME_SUCCESS if d["reconsume_times"] >= 2 else ConsumeStatus.RECONSUME_LATER

        c, rec = push_consumer(group, topic, reply=reply)
        wait_until(lambda: {(d["id"], d["body"]) for d in rec.snapshot() if d["reconsume_times"] >= 2} >= expected, 60)
        time.sleep(2)  # time for a wrong redelivery to show
        check_redeliveries(rec, expected, 2, 3)
        for _, body in expected:
            times = [d["reconsume_times"] for d in rec.snapshot() if d["body"] == body]
            check(len([t for t in times if t >= 2]) == 1, "%s: one success at reconsume times >= 2: %s" % (body, times))
    finally:
        shutdown(*(x for x in (c, p) if x))


def dead_letter_queue():
    """A consumer that always answers RECONSUME_LATER: the core sends each message back with
    maxReconsumeTimes 16 (its default; the C API has no setter, and like RocketMQ that header value
    wins over the group's retryMaxTimes), so every message is delivered up to reconsume times 16
    (or fewer when the core skipped deliveries, see check_redeliveries), then lands in
    %DLQ%<group>, read back with the core's pull consumer (original id and body)."""
    from cppcore import pull_all
    from rocketmq.client import ConsumeStatus

    topic, group = uniq("CppDlq"), uniq("CG")
    create_topic(topic)
    mqadmin("updateSubGroup", "-c", CLUSTER, "-g", group, "-r", "2")  # overridden by the header
    p = producer()
    c = None
    try:
        bodies = ["dlq-%d" % i for i in range(3)]
        expected = sent_pairs([p.send_sync(message(topic, b)) for b in bodies], bodies)
        c, rec = push_consumer(group, topic, reply=lambda d: ConsumeStatus.RECONSUME_LATER)
        dlq = "%DLQ%" + group

        def dlq_count():
            try:
                doc = json.loads(mqadmin("topicStatus", "-t", dlq))
            except (ScenarioError, ValueError):
                return 0
            return sum(q.get("maxOffset", 0) - q.get("minOffset", 0) for q in queues_of(doc))

        check(wait_until(lambda: dlq_count() >= len(expected), 90, step=1),
              "%s never held %d messages (deliveries: %s)" % (dlq, len(expected), redeliveries(rec)))
        time.sleep(1)
        check(dlq_count() == len(expected), "%s holds %d messages" % (dlq, dlq_count()))
        # RocketMQ creates a DLQ write-only (perm 2): an operator makes it readable to read it.
        mqadmin("updateTopicPerm", "-c", CLUSTER, "-t", dlq, "-p", "6")
        msgs = wait_until(lambda: pull_all(NAMESRV, uniq("PullG"), dlq), 10)
        got = {(m["id"], m["body"]) for m in msgs or []}
        check(got == expected, "%s: %s" % (dlq, diff(expected, got)))
        check(len(msgs) == len(expected), "%d messages in %s" % (len(msgs), dlq))
        check_redeliveries(rec, expected, 16, 16)
        check(max(d["reconsume_times"] for d in rec.snapshot()) == 16, "deliveries %s" % redeliveries(rec))
    finally:
        shutdown(*(x for x in (c, p) if x))


def transaction():
    """Transactional send: local COMMIT is delivered, ROLLBACK is not, UNKNOWN is checked back by
    the broker (CHECK_TRANSACTION_STATE to the core's checker, which commits it) and delivered."""
    from rocketmq.client import TransactionMQProducer, TransactionStatus

    topic, group = uniq("CppTx"), uniq("CG")
    create_topic(topic)
    checked = []

    def checker(msg):
        body = text(msg.body)
        checked.append(body)
        return TransactionStatus.COMMIT if body.startswith("tx-unknown") else TransactionStatus.ROLLBACK

    p = TransactionMQProducer(uniq("TPG"), checker)
    p.set_name_server_address(NAMESRV)
    p.start()
    c = None
    try:
        local = {"commit": TransactionStatus.COMMIT, "rollback": TransactionStatus.ROLLBACK,
                 "unknown": TransactionStatus.UNKNOWN}
        expected = set()
        for i in range(3):
            for kind, status in local.items():
                body = "tx-%s-%d" % (kind, i)
                r = p.send_message_in_transaction(message(topic, body), lambda m, a, st=status: st)
                if kind != "rollback":
                    expected.add((r.msg_id, body))
        c, rec = push_consumer(group, topic)
        wait_until(lambda: rec.pairs() >= expected, 60)
        time.sleep(2)  # time for a rolled-back message to show
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        check(len(rec.snapshot()) == 6, "%d deliveries for 6 messages" % len(rec.snapshot()))
        unknown = {"tx-unknown-%d" % i for i in range(3)}
        check(set(checked) >= unknown, "checked back: %s" % sorted(set(checked)))
        check(not [b for b in checked if not b.startswith("tx-unknown")], "checked back: %s" % sorted(set(checked)))
    finally:
        shutdown(*(x for x in (c, p) if x))


TRACE_TOPIC = "rmq_sys_TRACE_DATA_DefaultRegion"  # where the core 2.x writes traces (region DefaultRegion)


def message_trace():
    """Producer and consumer with message trace on: the core writes Pub, SubBefore and SubAfter
    records to its trace topic (not RMQ_SYS_TRACE_TOPIC), which our mqadmin reads back by id."""
    from rocketmq.client import Producer

    topic, group, pgroup = uniq("CppTrace"), uniq("CG"), uniq("PG")
    create_topic(topic)
    p = Producer(pgroup, timeout=10000)
    p.set_name_server_address(NAMESRV)
    check(cppcore.dll.SetProducerMessageTrace(p._handle, cppcore.TRACE_OPEN) == 0, "SetProducerMessageTrace")
    p.start()
    c = None
    try:
        bodies = ["traced-%d" % i for i in range(3)]
        expected = sent_pairs([p.send_sync(message(topic, b, tags="TagT", keys="tk-" + b)) for b in bodies], bodies)
        c, rec = push_consumer(group, topic)
        wait_until(lambda: rec.pairs() >= expected)
        check(rec.pairs() == expected, diff(expected, rec.pairs()))
        for mid, body in expected:
            state = {}

            def traced(mid=mid):
                try:
                    state["recs"] = json.loads(mqadmin("queryMsgTraceById", "-t", TRACE_TOPIC, "-i", mid))
                except (ScenarioError, ValueError) as e:
                    state["err"] = str(e)
                    return False
                return sorted(r.get("kind") for r in state["recs"]) == ["Pub", "SubAfter", "SubBefore"]

            check(wait_until(traced, 30), "trace of %s: %s %s" % (mid, state.get("recs"), state.get("err", "")))
            by = {r["kind"]: r for r in state["recs"]}
            pub = by["Pub"]
            check((pub["group"], pub["topic"], pub["tags"], pub["keys"], pub["success"]) ==
                  (pgroup, topic, "TagT", "tk-" + body, True), "Pub record %s" % pub)
            check(by["SubBefore"]["group"] == group, "SubBefore record %s" % by["SubBefore"])
            check(by["SubAfter"]["success"] is True, "SubAfter record %s" % by["SubAfter"])
            check(by["SubAfter"]["requestId"] == by["SubBefore"]["requestId"], "request ids %s" % by)
    finally:
        shutdown(*(x for x in (c, p) if x))


def pull_consumer():
    """The core's pull consumer reads every queue of a topic from offset 0: exactly what was sent."""
    from cppcore import pull_all

    topic = uniq("CppPull")
    create_topic(topic)
    p = producer()
    try:
        bodies = ["pull-%d" % i for i in range(12)]
        expected = sent_pairs([p.send_sync(message(topic, b)) for b in bodies], bodies)
    finally:
        shutdown(p)
    got = {(m["id"], m["body"]) for m in pull_all(NAMESRV, uniq("PullG"), topic)}
    check(got == expected, diff(expected, got))


SCENARIOS = [sync_async_oneway_send, tags_keys_properties, clustering_two_instances, broadcasting,
             consumer_running_info, tag_filter, orderly, delay_level, timer_property, retry_then_success,
             dead_letter_queue, transaction, message_trace, pull_consumer]


KNOWN_CLIENT_BUGS = [batch_send]  # run by name only


def run_one(name):
    fn = {f.__name__: f for f in SCENARIOS + KNOWN_CLIENT_BUGS}[name]
    start = time.time()
    code = 0
    try:
        fn()
        print("PASS %s (%.1fs)" % (name, time.time() - start), flush=True)
    except ScenarioError as e:
        print("FAIL %s (%.1fs): %s" % (name, time.time() - start, e), flush=True)
        code = 1
    errors = close_all()
    if errors:
        print("shutdown errors: %s" % errors, flush=True)
        code = 1
    os._exit(code)  # the core's threads must not keep the process alive


def main(argv):
    if argv[:1] == ["--one"]:
        run_one(argv[1])
    names = argv or [f.__name__ for f in SCENARIOS]
    pattern = os.environ.get("COMPAT_CPP_RUN")
    if pattern:
        names = [n for n in names if re.search(pattern, n)]
    results = []
    for name in names:
        start = time.time()
        try:
            res = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True,
                                 text=True, timeout=150)
            status = "pass" if res.returncode == 0 else "fail"
            out = (res.stdout + res.stderr).strip()
            if res.returncode < 0:
                out += "\n(the scenario's process died of signal %d)" % -res.returncode
        except subprocess.TimeoutExpired as e:
            status, out = "fail", "timed out after 150 s\n%s" % (e.stdout or "")
        results.append((name, status))
        print("%-28s %s  %.1fs" % (name, status, time.time() - start), flush=True)
        if status != "pass":
            print("    " + out.replace("\n", "\n    ")[-3000:], flush=True)
    table = "| scenario | C++ core (2.x) |\n|---|---|\n" + "".join("| %s | %s |\n" % r for r in results)
    if os.environ.get("COMPAT_TABLE"):
        with open(os.environ["COMPAT_TABLE"], "w") as f:
            f.write(table)
    passed = sum(1 for _, s in results if s == "pass")
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
