#!/usr/bin/env python3
"""Picks codec vectors out of an rmq-capture directory (see capture-vectors.sh).

Usage: capture_vectors.py CAPTURE_DIR FAMILY LANGUAGE PRODUCED_BY OUT_DIR MANIFEST OWNED

OWNED is a regular expression over file names in OUT_DIR: the files it matches (and their MANIFEST
lines) are this capture's, deleted before the new ones are written, so that a vector no longer
captured does not linger.

Keeps the client-to-server frames whose sender language is LANGUAGE (JAVA, GO) and whose body is
JSON text (starts with '{' or '['): requests, and the responses a client sends back to a broker's
call (`<Code>-response`). Message payloads are skipped. Each body is written to
OUT_DIR/<CodeName>[-<variant>].json byte for byte as captured. HEART_BEAT bodies are named by the
roles of the capture programs' groups (cap_<role>_<run>) they hold. A line per written file goes to
MANIFEST (a Markdown table), replacing the line of the same family and file.
"""
import json
import os
import re
import sys
from pathlib import Path

# Role part of the capture programs' group names -> heartbeat variant and what it is.
ROLES = {
    "pg": ("producer", "producer alone in its client instance"),
    "push_tag": ("push-clustering-tag", "push consumer, clustering, TAG subscription `a || b`"),
    "bcast": ("push-broadcasting", "push consumer, broadcasting, TAG subscription `*`, CONSUME_FROM_TIMESTAMP"),
    "sql": ("push-sql92", "push consumer, clustering, SQL92 subscription `a between 0 and 9`"),
    "order": ("push-orderly", "orderly push consumer, clustering, TAG `*`"),
    "lite_sub": ("lite-pull-subscribe", "DefaultLitePullConsumer in subscribe mode, TAG `a || c`"),
    "lite_assign": ("lite-pull-assign", "DefaultLitePullConsumer in assign mode (no subscription)"),
    "assign_q": ("push-server-rebalance", "push consumer with clientRebalance=false (5.x)"),
    "hbv2": ("push-heartbeat-v2", "push consumer with useHeartbeatV2=true (5.x)"),
    "mixed": ("producer-and-push", "producer and push consumer (TAG `b`) sharing one client instance"),
    "mixed_pg": ("producer-and-push", "producer and push consumer (TAG `b`) sharing one client instance"),
    "pull": ("pull-consumer", "pull consumer (consumer.NewPullConsumer), TAG `a || c`"),
}
GROUP = re.compile(rb'"(?:groupName|consumerGroup|producerGroup)"\s*:\s*"cap_([a-z0-9_]+)_[0-9a-z]+"')
PAYLOAD_CODES = ("SendMessage", "SendMessageV2", "SendBatchMessage", "ConsumerSendMsgBack",
                 "SendReplyMessage", "SendReplyMessageV2")
SCENARIO = {
    "LockBatchMq": "orderly push consumer locking its queues (rebalance / periodic lockAll); the largest body",
    "UnlockBatchMq": "orderly push consumer unlocking its queues at shutdown; the largest body",
    "CheckClientConfig": "push consumer with an SQL92 subscription checking the broker at start",
    "QueryAssignment": "push consumer with clientRebalance=false asking the broker for its queues",
    "SetMessageRequestMode": "DefaultMQAdminExt.setMessageRequestMode(PULL, popShareQueueNum 1)",
    "UpdateAndCreateSubscriptiongroup": "DefaultMQAdminExt.createAndUpdateSubscriptionGroupConfig",
    "UpdateAndCreateSubscriptiongroupList": "DefaultMQAdminExt.createAndUpdateSubscriptionGroupConfigList (2 groups)",
    "UpdateAndCreateTopicList": "DefaultMQAdminExt.createAndUpdateTopicConfigList (2 topics)",
    "GetConsumerRunningInfo-response": "consumer's answer to GET_CONSUMER_RUNNING_INFO (admin getConsumerRunningInfo)",
    "GetConsumerStatusFromClient-response": "consumer's answer to GET_CONSUMER_STATUS_FROM_CLIENT (admin getConsumeStatus)",
    "ConsumeMessageDirectly-response": "consumer's answer to CONSUME_MESSAGE_DIRECTLY (admin consumeMessageDirectly)",
    "RegisterBroker": "official broker's periodic full registration with our name server (forceRegister=true)",
    "RegisterBroker-new-topic": "official broker registering one topic just created (registerIncrementBrokerData)",
    "QueryDataVersion": "official broker asking our name server whether its data version changed (forceRegister=false)",
}


def frames(capture_dir, language):
    """(seq, name, meta, body) of the client-to-server frames sent in LANGUAGE, in capture order."""
    for meta_path in sorted(Path(capture_dir).glob("*-c2s-*.json")):
        seq, _, name = meta_path.stem.split("-", 2)
        meta = json.loads(meta_path.read_text())
        if str(meta.get("language", "")).upper() != language.upper():
            continue
        body = meta_path.with_suffix(".body").read_bytes()
        yield int(seq), name, meta, body


def is_json_text(body):
    head = body.lstrip()[:1]
    return head in (b"{", b"[")


def heartbeat_variant(body):
    roles = sorted({m.group(1).decode() for m in GROUP.finditer(body)})
    if not roles:
        return "admin", "DefaultMQAdminExt's own client instance (inner groups only)"
    names = sorted({ROLES.get(r, (r.replace("_", "-"), r))[0] for r in roles})
    descs = sorted({ROLES.get(r, (r, r))[1] for r in roles})
    variant = "+".join(names)
    if re.search(rb'"withoutSub"\s*:\s*true', body):
        return variant + "-without-sub", "; ".join(descs) + "; a later heartbeat with withoutSub=true"
    return variant, "; ".join(descs)


def pick(capture_dir, language):
    """{file stem: (body, scenario)} of the vectors in one capture."""
    chosen = {}
    for _, name, _, body in frames(capture_dir, language):
        base = name[:-len("-response")] if name.endswith("-response") else name
        if base in PAYLOAD_CODES or name.startswith("Unmatched") or not is_json_text(body):
            continue
        if base == "HeartBeat":
            variant, what = heartbeat_variant(body)
            stem = f"HeartBeat-{variant}"
            if stem not in chosen:
                chosen[stem] = (body, "HEART_BEAT: " + what)
            continue
        if name == "RegisterBroker" and b'"SCHEDULE_TOPIC_XXXX"' not in body:
            name = "RegisterBroker-new-topic"
        what = SCENARIO.get(name, name)
        if name in ("LockBatchMq", "UnlockBatchMq"):
            if name not in chosen or body.count(b"queueId") > chosen[name][0].count(b"queueId"):
                chosen[name] = (body, what)
            continue
        if name not in chosen:
            chosen[name] = (body, what)
    return chosen


def update_manifest(manifest, rows, family, dropped):
    """Replaces this capture's rows of MANIFEST; other families' rows keep their place and order."""
    header = ["# Captured body vectors", "",
              "Read by `crates/remoting/tests/body_vectors.rs`. java-4.9, java-5.5, go-v2 and",
              "broker-java-5.5 are regenerated by `tests/compat/capture-vectors.sh`.", "",
              "| family | file | captured from |", "|---|---|---|"]
    lines = manifest.read_text().splitlines() if manifest.exists() else header
    keys = {(f, n) for f, n, _ in rows} | {(family, n) for n in dropped}
    new_rows = [f"| {f} | {n} | {p} |" for f, n, p in sorted(rows)]
    kept, at = [], None
    for ln in lines:
        if any(ln.startswith(f"| {f} | {n} |") for f, n in keys):
            at = len(kept) if at is None else at  # where this capture's first old row was
        else:
            kept.append(ln)
    if at is None:  # a new family: at the end of the table
        sep = re.compile(r"^\|\s*-+\s*\|")
        at = next((i for i, ln in enumerate(kept) if sep.match(ln)), len(kept) - 1) + 1
        while at < len(kept) and kept[at].startswith("|"):
            at += 1
    manifest.write_text("\n".join(kept[:at] + new_rows + kept[at:]) + "\n")


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    capture_dir, family, language, produced_by, out_dir, manifest, owned = sys.argv[1:]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dropped = [p.name for p in out.glob("*.json") if re.search(owned, p.name)]
    for name in dropped:
        (out / name).unlink()
    rows = []
    for stem, (body, what) in sorted(pick(capture_dir, language).items()):
        path = out / f"{stem}.json"
        path.write_bytes(body)
        rows.append((family, path.name, f"{produced_by}: {what}"))
        print(f"vector {family}/{path.name} ({len(body)} bytes)")
    update_manifest(Path(manifest), rows, family, dropped)
    if not rows:
        print(f"no vectors in {capture_dir} for {language}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
