"""What the C++ core (librocketmq.so, rocketmq-client-cpp 2.x) exposes that the official Python
wrapper (rocketmq-client-python 2.0.0) does not bind: asynchronous send with callbacks
(``SendAsync``), batch send (``SendBatchMessage``), the message-trace switches, and the pull
consumer (``CreatePullConsumer`` / ``Pull``), used to read a
dead-letter topic back. Our own ctypes declarations of the C API, on the library the wrapper
loaded (``rocketmq.ffi.dll``)."""

import ctypes
import threading
from ctypes import POINTER, Structure, c_char, c_char_p, c_int, c_longlong, c_void_p

from rocketmq.ffi import dll  # the librocketmq.so the wrapper found

MSG_ID_LEN = 256


class SendResultC(Structure):
    """CSendResult: status, the message id the core returns, queue offset."""

    _fields_ = [("sendStatus", c_int), ("msgId", c_char * MSG_ID_LEN), ("offset", c_longlong)]


class MQExceptionC(Structure):
    """CMQException (2.x): error code, line, file, message, type."""

    _fields_ = [
        ("error", c_int),
        ("line", c_int),
        ("file", c_char * 256),
        ("msg", c_char * 512),
        ("type", c_char * 128),
    ]


class MessageQueueC(Structure):
    """CMessageQueue: topic, broker name, queue id."""

    _fields_ = [("topic", c_char * 512), ("brokerName", c_char * 256), ("queueId", c_int)]


class PullResultC(Structure):
    """CPullResult: status, next/min/max offsets, the messages found (CMessageExt*)."""

    _fields_ = [
        ("pullStatus", c_int),
        ("nextBeginOffset", c_longlong),
        ("minOffset", c_longlong),
        ("maxOffset", c_longlong),
        ("msgFoundList", POINTER(c_void_p)),
        ("size", c_int),
        ("pData", c_void_p),
    ]


PULL_FOUND, PULL_NO_NEW_MSG, PULL_NO_MATCHED_MSG, PULL_OFFSET_ILLEGAL = 0, 1, 2, 3

ON_SEND_SUCCESS = ctypes.CFUNCTYPE(None, SendResultC, c_void_p, c_void_p)
ON_SEND_EXCEPTION = ctypes.CFUNCTYPE(None, MQExceptionC, c_void_p, c_void_p)

TRACE_OPEN, TRACE_CLOSE = 0, 1  # CTraceModel
dll.SetPushConsumerMessageTrace.argtypes = [c_void_p, c_int]
dll.SetPushConsumerMessageTrace.restype = c_int
dll.SetProducerMessageTrace.argtypes = [c_void_p, c_int]
dll.SetProducerMessageTrace.restype = c_int
dll.CreateBatchMessage.argtypes = []
dll.CreateBatchMessage.restype = c_void_p
dll.AddMessage.argtypes = [c_void_p, c_void_p]
dll.AddMessage.restype = c_int
dll.DestroyBatchMessage.argtypes = [c_void_p]
dll.DestroyBatchMessage.restype = c_int
dll.SendBatchMessage.argtypes = [c_void_p, c_void_p, POINTER(SendResultC)]
dll.SendBatchMessage.restype = c_int
dll.SendAsync.argtypes = [c_void_p, c_void_p, ON_SEND_SUCCESS, ON_SEND_EXCEPTION, c_void_p]
dll.SendAsync.restype = c_int
dll.CreatePullConsumer.argtypes = [c_char_p]
dll.CreatePullConsumer.restype = c_void_p
dll.SetPullConsumerNameServerAddress.argtypes = [c_void_p, c_char_p]
dll.SetPullConsumerNameServerAddress.restype = c_int
dll.StartPullConsumer.argtypes = [c_void_p]
dll.StartPullConsumer.restype = c_int
dll.ShutdownPullConsumer.argtypes = [c_void_p]
dll.ShutdownPullConsumer.restype = c_int
dll.DestroyPullConsumer.argtypes = [c_void_p]
dll.DestroyPullConsumer.restype = c_int
dll.FetchSubscriptionMessageQueues.argtypes = [
    c_void_p, c_char_p, POINTER(POINTER(MessageQueueC)), POINTER(c_int)]
dll.FetchSubscriptionMessageQueues.restype = c_int
dll.ReleaseSubscriptionMessageQueue.argtypes = [POINTER(MessageQueueC)]
dll.ReleaseSubscriptionMessageQueue.restype = c_int
dll.Pull.argtypes = [c_void_p, POINTER(MessageQueueC), c_char_p, c_longlong, c_int]
dll.Pull.restype = PullResultC
dll.ReleasePullResult.argtypes = [PullResultC]
dll.ReleasePullResult.restype = c_int


def send_batch(producer_handle, msgs):
    """Sends the wrapper's messages as one batch (SendBatchMessage); returns (rc, SendResultC)."""
    batch = dll.CreateBatchMessage()
    try:
        for m in msgs:
            if dll.AddMessage(batch, m._handle) != 0:
                raise RuntimeError("AddMessage failed")
        result = SendResultC()
        rc = dll.SendBatchMessage(producer_handle, batch, ctypes.byref(result))
        return rc, result
    finally:
        dll.DestroyBatchMessage(batch)


class AsyncSender:
    """Sends through ``SendAsync`` and collects the callbacks: ``wait`` returns
    ({tag: msg_id}, [errors]) once every send has been answered (or the time is up)."""

    def __init__(self, producer_handle):
        self._producer = producer_handle
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self.ok, self.errors, self._pending = {}, [], 0
        self._on_ok = ON_SEND_SUCCESS(self._success)
        self._on_err = ON_SEND_EXCEPTION(self._failure)

    def _success(self, result, _msg, user_data):
        with self._lock:
            self.ok[user_data] = (result.sendStatus, result.msgId.decode())
            self._pending -= 1
            self._done.notify_all()

    def _failure(self, exc, _msg, user_data):
        with self._lock:
            self.errors.append((user_data, exc.error, exc.msg.decode(errors="replace")))
            self._pending -= 1
            self._done.notify_all()

    def send(self, msg, token):
        """Sends msg asynchronously; token (a positive int) names it in ``ok``."""
        with self._lock:
            self._pending += 1
        rc = dll.SendAsync(self._producer, msg._handle, self._on_ok, self._on_err, c_void_p(token))
        if rc != 0:
            with self._lock:
                self._pending -= 1
                self.errors.append((token, rc, "SendAsync returned %d" % rc))

    def wait(self, timeout):
        with self._lock:
            self._done.wait_for(lambda: self._pending == 0, timeout)
            return dict(self.ok), list(self.errors)


def pull_all(namesrv, group, topic, max_per_pull=32):
    """Every message of every queue of topic, read with the core's pull consumer from offset 0:
    a list of dicts (id, body, tags, keys, reconsume_times, properties of interest)."""
    consumer = dll.CreatePullConsumer(group.encode())
    if not consumer:
        raise RuntimeError("CreatePullConsumer returned NULL")
    dll.SetPullConsumerNameServerAddress(consumer, namesrv.encode())
    if dll.StartPullConsumer(consumer) != 0:
        raise RuntimeError("StartPullConsumer failed")
    out = []
    try:
        mqs, size = POINTER(MessageQueueC)(), c_int(0)
        rc = dll.FetchSubscriptionMessageQueues(consumer, topic.encode(), ctypes.byref(mqs), ctypes.byref(size))
        if rc != 0:
            raise RuntimeError("FetchSubscriptionMessageQueues(%s) returned %d" % (topic, rc))
        try:
            for i in range(size.value):
                out.extend(_pull_queue(consumer, mqs[i], max_per_pull))
        finally:
            dll.ReleaseSubscriptionMessageQueue(mqs)
    finally:
        dll.ShutdownPullConsumer(consumer)
        dll.DestroyPullConsumer(consumer)
    return out


def prop(msg, name):
    """A property of a received message as text ("" when absent)."""
    val = msg.get_property(name)
    return val.decode() if val else ""


def _pull_queue(consumer, mq, max_per_pull):
    from rocketmq.client import ReceivedMessage

    found, offset = [], 0
    for _ in range(1000):  # bounded: 1000 pulls of up to 32 messages per queue
        res = dll.Pull(consumer, ctypes.byref(mq), b"*", offset, max_per_pull)
        try:
            if res.pullStatus != PULL_FOUND:
                return found
            for j in range(res.size):
                m = ReceivedMessage(res.msgFoundList[j])
                found.append({
                    "id": m.id,
                    "body": m.body.decode(),
                    "tags": (m.tags or b"").decode(),
                    "keys": (m.keys or b"").decode(),
                    "queue": "%s:%d" % (mq.brokerName.decode(), mq.queueId),
                    "origin_msg_id": prop(m, "ORIGIN_MESSAGE_ID"),
                    "retry_topic": prop(m, "RETRY_TOPIC"),
                })
            if res.nextBeginOffset <= offset:
                return found
            offset = res.nextBeginOffset
        finally:
            dll.ReleasePullResult(res)
    return found
