package compat

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// 1. Sync send of 20 messages, clustering push consumer receives exactly those 20 (by body and id).
func TestSyncSendPushConsume(t *testing.T) {
	t.Parallel()
	topic, group := uniq("sync"), uniq("sync_cg")
	createTopic(t, topic, 4)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)

	want := bodies("sync", 20)
	ids := map[string]string{} // body -> msg id from the send result
	for _, b := range want {
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
		ids[b] = res.MsgID
	}
	got := col.waitBodies(t, want)
	assertExactly(t, "push consumer", got, want)
	for _, m := range col.snapshot() {
		if m.Topic != topic {
			t.Errorf("%s: topic %q, want %q", m.Body, m.Topic, topic)
		}
		if m.MsgId != ids[string(m.Body)] {
			t.Errorf("%s: msg id %q, send result said %q", m.Body, m.MsgId, ids[string(m.Body)])
		}
	}
}

// 2. Async send (callback) and one-way send, all consumed.
func TestAsyncAndOneWaySend(t *testing.T) {
	t.Parallel()
	topic, group := uniq("async"), uniq("async_cg")
	createTopic(t, topic, 4)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)

	async := bodies("async", 10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for _, b := range async {
		wg.Add(1)
		b := b
		err := p.SendAsync(context.Background(), func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err != nil || res == nil || res.Status != primitive.SendOK {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %v %v", b, res, err))
				mu.Unlock()
			}
		}, primitive.NewMessage(topic, []byte(b)))
		if err != nil {
			wg.Done()
			t.Fatalf("SendAsync(%s): %v", b, err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("async send callbacks did not all run")
	}
	if len(errs) > 0 {
		t.Fatalf("async send failures: %v", errs)
	}
	oneway := bodies("oneway", 10)
	for _, b := range oneway {
		if err := p.SendOneWay(context.Background(), primitive.NewMessage(topic, []byte(b))); err != nil {
			t.Fatalf("SendOneWay(%s): %v", b, err)
		}
	}
	want := append(append([]string{}, async...), oneway...)
	assertExactly(t, "push consumer", col.waitBodies(t, want), want)
}

// 3. Batch send: one SendSync call with several messages (SEND_BATCH_MESSAGE).
func TestBatchSend(t *testing.T) {
	t.Parallel()
	topic, group := uniq("batch"), uniq("batch_cg")
	createTopic(t, topic, 4)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)

	want := bodies("batch", 10)
	msgs := make([]*primitive.Message, len(want))
	for i, b := range want {
		msgs[i] = primitive.NewMessage(topic, []byte(b)).WithKeys([]string{"key-" + b})
	}
	res, err := p.SendSync(context.Background(), msgs...)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch SendSync: %v %v", res, err)
	}
	t.Logf("batch send result: %v", res)
	assertExactly(t, "push consumer", col.waitBodies(t, want), want)

	// A batch is stored in one queue, at consecutive offsets starting at the returned offset.
	got := col.snapshot()
	sort.Slice(got, func(i, j int) bool { return got[i].QueueOffset < got[j].QueueOffset })
	for i, m := range got {
		if m.Queue.QueueId != res.MessageQueue.QueueId {
			t.Errorf("%s in queue %d, batch was sent to queue %d", m.Body, m.Queue.QueueId, res.MessageQueue.QueueId)
		}
		if m.QueueOffset != res.QueueOffset+int64(i) {
			t.Errorf("%s at offset %d, want %d", m.Body, m.QueueOffset, res.QueueOffset+int64(i))
		}
		if string(m.Body) != want[i] {
			t.Errorf("offset %d holds %s, want %s (batch order)", m.QueueOffset, m.Body, want[i])
		}
		if m.GetKeys() != "key-"+string(m.Body) {
			t.Errorf("%s: keys %q", m.Body, m.GetKeys())
		}
	}
}

// 4. Keys, tags, user properties and bodies > 4 KiB (the client compresses them) arrive intact.
func TestKeysTagsPropertiesLargeBody(t *testing.T) {
	t.Parallel()
	topic, group := uniq("props"), uniq("props_cg")
	createTopic(t, topic, 2)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)

	text := strings.Repeat("compressible text line, ", 500) // 12000 bytes
	rnd := make([]byte, 64*1024)
	r := rand.New(rand.NewSource(42))
	for i := range rnd {
		rnd[i] = byte('a' + r.Intn(26))
	}
	type spec struct {
		body  string
		tag   string
		keys  []string
		props map[string]string
	}
	specs := []spec{
		{"small-body", "tagA", []string{"k1", "k2"}, map[string]string{"p1": "v1", "unicode": "grüße-日本"}},
		{"big-text-" + text, "tagBig", []string{"kbig"}, map[string]string{"size": strconv.Itoa(len(text))}},
		{"big-rand-" + string(rnd), "tagRand", []string{"krand", "k-other"}, map[string]string{"a": "1", "b": "2"}},
	}
	want := make([]string, len(specs))
	for i, s := range specs {
		want[i] = s.body
		m := primitive.NewMessage(topic, []byte(s.body)).WithTag(s.tag).WithKeys(s.keys)
		for k, v := range s.props {
			m.WithProperty(k, v) // (WithProperties would replace TAGS and KEYS)
		}
		if res, err := p.SendSync(context.Background(), m); err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", short(s.body), res, err)
		}
	}
	assertExactly(t, "push consumer", col.waitBodies(t, want), want)
	byBody := map[string]*primitive.MessageExt{}
	for _, m := range col.snapshot() {
		byBody[string(m.Body)] = m
	}
	for _, s := range specs {
		m := byBody[s.body]
		if m.GetTags() != s.tag {
			t.Errorf("%s: tag %q, want %q", short(s.body), m.GetTags(), s.tag)
		}
		if m.GetKeys() != strings.Join(s.keys, " ") {
			t.Errorf("%s: keys %q, want %q", short(s.body), m.GetKeys(), strings.Join(s.keys, " "))
		}
		for k, v := range s.props {
			if m.GetProperty(k) != v {
				t.Errorf("%s: property %s=%q, want %q", short(s.body), k, m.GetProperty(k), v)
			}
		}
		if len(s.body) > 4096 && m.SysFlag&primitive.FlagCompressed == 0 {
			t.Logf("%s: sysFlag %#x has no compressed bit (client decompressed it already)", short(s.body), m.SysFlag)
		}
	}
}

// 5. Tag filter: subscription "a || b" gets only tags a and b; a "*" group proves c was stored.
func TestTagFilter(t *testing.T) {
	t.Parallel()
	// The Go client puts the tag hash codes of a subscription into its HEART_BEAT as JSON strings
	// ("codeSet":["97","98"]: consumer/consumer.go buildSubscriptionData adds strconv.Itoa(hash),
	// internal/utils/set.go Set.MarshalJSON quotes every item). The Java broker (fastjson) reads
	// them into Set<Integer>; the broker must accept that shape or the group never registers.
	t.Run("HeartbeatStringCodeSet", func(t *testing.T) {
		body := fmt.Sprintf(`{"clientID":"127.0.0.1@%s","producerDataSet":[],"consumerDataSet":[{`+
			`"groupName":"%s","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",`+
			`"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,`+
			`"topic":"%s","subString":"a || b","tagsSet":["a","b"],"codeSet":["97","98"],"subVersion":%d,`+
			`"expressionType":"TAG"}],"unitMode":false}]}`,
			uniq("probe_i"), uniq("probe_cg"), uniq("probe_t"), time.Now().UnixNano())
		reply, err := remotingCall(brokerAddr, 34 /* HEART_BEAT */, []byte(body), 10*time.Second)
		if err != nil {
			t.Fatalf("HEART_BEAT: %v", err)
		}
		if reply.Code != 0 {
			t.Fatalf("broker rejected a Go-client-shaped HEART_BEAT (codeSet as JSON strings): code %d, remark %q",
				reply.Code, reply.Remark)
		}
	})

	t.Run("Consume", func(t *testing.T) {
		topic := uniq("tag")
		createTopic(t, topic, 2)
		filtered, everything := &collector{}, &collector{}
		startPushConsumer(t, uniq("tag_ab_cg"), topic,
			consumer.MessageSelector{Type: consumer.TAG, Expression: "a || b"}, filtered.handler())
		startPushConsumer(t, uniq("tag_all_cg"), topic, selectAll(), everything.handler())
		p := newProducer(t)

		var wantAB, wantAll []string
		for i := 0; i < 5; i++ {
			for _, tag := range []string{"a", "b", "c"} {
				b := fmt.Sprintf("tag-%s-%d", tag, i)
				if res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)).WithTag(tag)); err != nil || res.Status != primitive.SendOK {
					t.Fatalf("SendSync(%s): %v %v", b, res, err)
				}
				wantAll = append(wantAll, b)
				if tag != "c" {
					wantAB = append(wantAB, b)
				}
			}
		}
		assertExactly(t, "subscriber of *", everything.waitBodies(t, wantAll), wantAll)
		got := filtered.waitBodies(t, wantAB)
		if len(got) == 0 {
			t.Fatalf("subscriber of a || b received nothing in %v (its group never registered? see HeartbeatStringCodeSet)", waitTimeout)
		}
		assertExactly(t, "subscriber of a || b", got, wantAB)
		for _, m := range filtered.snapshot() {
			if tag := m.GetTags(); tag != "a" && tag != "b" {
				t.Errorf("%s delivered with tag %q to the a || b subscriber", m.Body, tag)
			}
		}
	})
}

// 6. Two push consumers in one group (clustering) split the queues; the union is exactly the set sent.
func TestClusteringTwoConsumers(t *testing.T) {
	t.Parallel()
	topic, group := uniq("cluster"), uniq("cluster_cg")
	const queues = 4
	createTopic(t, topic, queues)
	cols := []*collector{{}, {}}
	var owned []func() map[int]bool
	for i := range cols {
		c, err := consumer.NewPushConsumer(
			consumer.WithNsResolver(resolver()),
			consumer.WithGroupName(group),
			consumer.WithInstance(uniq(fmt.Sprintf("cluster_i%d", i))),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		)
		if err != nil {
			t.Fatalf("NewPushConsumer: %v", err)
		}
		if err := c.Subscribe(topic, selectAll(), cols[i].handler()); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if err := c.Start(); err != nil {
			t.Fatalf("consumer %d Start: %v", i, err)
		}
		t.Cleanup(func() { _ = c.Shutdown() })
		owned = append(owned, func() map[int]bool {
			out := map[int]bool{}
			for mq := range c.GetConsumerRunningInfo(false).MQTable {
				if mq.Topic == topic {
					out[mq.QueueId] = true
				}
			}
			return out
		})
	}
	// Wait until the rebalance settled: every queue owned by exactly one consumer, both own some.
	deadline := time.Now().Add(waitTimeout)
	var a, b map[int]bool
	for {
		a, b = owned[0](), owned[1]()
		overlap := false
		for q := range a {
			overlap = overlap || b[q]
		}
		if len(a) > 0 && len(b) > 0 && len(a)+len(b) == queues && !overlap {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebalance did not split %d queues between the two consumers: %v / %v", queues, a, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("queues: consumer0 %v, consumer1 %v", a, b)

	p := newProducer(t)
	want := bodies("cluster", 40)
	sendSyncAll(t, p, topic, want)
	deadline = time.Now().Add(waitTimeout)
	union := func() map[string]int {
		u := map[string]int{}
		for _, c := range cols {
			for k, v := range c.counts() {
				u[k] += v
			}
		}
		return u
	}
	for time.Now().Before(deadline) && !hasAll(union(), want) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settleTime)
	assertExactly(t, "union of both consumers", union(), want)
	n0, n1 := len(cols[0].snapshot()), len(cols[1].snapshot())
	t.Logf("consumer0 got %d, consumer1 got %d", n0, n1)
	if n0 == 0 || n1 == 0 {
		t.Fatalf("messages were not split: consumer0 got %d, consumer1 got %d", n0, n1)
	}
	for i, c := range cols {
		mine := []map[int]bool{a, b}[i]
		for _, m := range c.snapshot() {
			if !mine[m.Queue.QueueId] {
				t.Errorf("consumer%d got %s from queue %d it does not own", i, m.Body, m.Queue.QueueId)
			}
		}
	}
}

// 7. Broadcasting: two consumers of one group each receive every message.
func TestBroadcasting(t *testing.T) {
	t.Parallel()
	topic, group := uniq("bcast"), uniq("bcast_cg")
	createTopic(t, topic, 4)
	cols := []*collector{{}, {}}
	for _, c := range cols {
		startPushConsumer(t, group, topic, selectAll(), c.handler(), consumer.WithConsumerModel(consumer.BroadCasting))
	}
	p := newProducer(t)
	want := bodies("bcast", 20)
	sendSyncAll(t, p, topic, want)
	for i, c := range cols {
		assertExactly(t, fmt.Sprintf("broadcast consumer %d", i), c.waitBodies(t, want), want)
	}
}

// 8. Orderly: queue selector by sharding key, ConsumeOrderly, per-key order preserved.
func TestOrderly(t *testing.T) {
	t.Parallel()
	topic, group := uniq("order"), uniq("order_cg")
	createTopic(t, topic, 4)
	var mu sync.Mutex
	seqs := map[string][]int{}    // key -> sequence numbers in delivery order
	queueOf := map[string][]int{} // key -> queue ids seen
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(),
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			col.add(msgs...)
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				parts := strings.Split(string(m.Body), "|")
				n, _ := strconv.Atoi(parts[1])
				seqs[parts[0]] = append(seqs[parts[0]], n)
				queueOf[parts[0]] = append(queueOf[parts[0]], m.Queue.QueueId)
			}
			time.Sleep(time.Millisecond) // widen the window for reordering
			return consumer.ConsumeSuccess, nil
		}, consumer.WithConsumerOrder(true))
	p := newProducer(t, producer.WithQueueSelector(producer.NewHashQueueSelector()))

	const keys, perKey = 6, 10
	var want []string
	sentQueue := map[string]int{}
	for n := 0; n < perKey; n++ {
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("order-key-%d", k)
			b := fmt.Sprintf("%s|%d", key, n)
			res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)).WithShardingKey(key))
			if err != nil || res.Status != primitive.SendOK {
				t.Fatalf("SendSync(%s): %v %v", b, res, err)
			}
			if q, ok := sentQueue[key]; ok && q != res.MessageQueue.QueueId {
				t.Fatalf("selector sent %s to queue %d, earlier messages of the key went to %d", b, res.MessageQueue.QueueId, q)
			}
			sentQueue[key] = res.MessageQueue.QueueId
			want = append(want, b)
		}
	}
	assertExactly(t, "orderly consumer", col.waitBodies(t, want), want)
	mu.Lock()
	defer mu.Unlock()
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("order-key-%d", k)
		exp := make([]int, perKey)
		for i := range exp {
			exp[i] = i
		}
		if !reflect.DeepEqual(seqs[key], exp) {
			t.Errorf("%s consumed in order %v, want %v", key, seqs[key], exp)
		}
		for _, q := range queueOf[key] {
			if q != sentQueue[key] {
				t.Errorf("%s consumed from queue %d, sent to %d", key, q, sentQueue[key])
			}
		}
	}
}

// 9. Delay level 1 (1 s in the runner's broker.conf): delivered no earlier than ~1 s after sending.
func TestDelayLevel(t *testing.T) {
	t.Parallel()
	topic, group := uniq("delay"), uniq("delay_cg")
	createTopic(t, topic, 2)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)

	// A plain message first, so the consumer is known to be pulling before the delayed ones go out.
	sendSyncAll(t, p, topic, []string{"delay-probe"})
	col.waitBodies(t, []string{"delay-probe"})

	want := bodies("delayed", 5)
	sentAt := map[string]time.Time{}
	for _, b := range want {
		sentAt[b] = time.Now()
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)).WithDelayTimeLevel(1))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
	}
	got := col.waitBodies(t, append([]string{"delay-probe"}, want...))
	assertExactly(t, "delayed messages", got, append([]string{"delay-probe"}, want...))
	col.mu.Lock()
	defer col.mu.Unlock()
	for i, m := range col.msgs {
		s, ok := sentAt[string(m.Body)]
		if !ok {
			continue
		}
		d := col.at[i].Sub(s)
		t.Logf("%s delivered after %v", m.Body, d.Round(time.Millisecond))
		if d < 900*time.Millisecond {
			t.Errorf("%s delivered after %v, delay level 1 is 1s", m.Body, d)
		}
		if d > 30*time.Second {
			t.Errorf("%s delivered after %v, far beyond delay level 1 (1s)", m.Body, d)
		}
		if m.Topic != topic {
			t.Errorf("%s delivered with topic %q", m.Body, m.Topic)
		}
	}
}

// 10. RECONSUME_LATER twice, then success: every message is delivered exactly 3 times.
func TestReconsumeLater(t *testing.T) {
	t.Parallel()
	topic, group := uniq("retry"), uniq("retry_cg")
	createTopic(t, topic, 2)
	var mu sync.Mutex
	deliveries := map[string][]int32{} // body -> reconsume times seen
	topics := map[string][]string{}
	ids := map[string][]string{} // body -> msg id of each delivery
	born := map[string][]int64{} // body -> born timestamp of each delivery
	start := time.Now()
	startPushConsumer(t, group, topic, selectAll(),
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			result := consumer.ConsumeSuccess
			for _, m := range msgs {
				b := string(m.Body)
				t.Logf("%s delivery %d at +%v: reconsumeTimes=%d queue=%v", b, len(deliveries[b])+1,
					time.Since(start).Round(time.Millisecond), m.ReconsumeTimes, m.Queue)
				deliveries[b] = append(deliveries[b], m.ReconsumeTimes)
				topics[b] = append(topics[b], m.Topic)
				ids[b] = append(ids[b], m.MsgId)
				born[b] = append(born[b], m.BornTimestamp)
				if len(deliveries[b]) <= 2 {
					result = consumer.ConsumeRetryLater
				}
			}
			return result, nil
		})
	p := newProducer(t)
	want := bodies("retry", 2)
	sentID := map[string]string{}
	for _, b := range want {
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
		sentID[b] = res.MsgID
	}

	count := func() (int, string) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, b := range want {
			if len(deliveries[b]) >= 3 {
				n++
			}
		}
		return n, fmt.Sprint(deliveries)
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if n, _ := count(); n == len(want) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a 4th delivery would come ~1 s after the 3rd
	mu.Lock()
	defer mu.Unlock()
	for b := range deliveries {
		found := false
		for _, w := range want {
			found = found || w == b
		}
		if !found {
			t.Errorf("unexpected message %s", short(b))
		}
	}
	for _, b := range want {
		if got := deliveries[b]; !reflect.DeepEqual(got, []int32{0, 1, 2}) {
			t.Errorf("%s: deliveries with reconsumeTimes %v, want [0 1 2] (3 deliveries)", b, got)
		}
		for _, tp := range topics[b] {
			if tp != topic {
				t.Errorf("%s delivered with topic %q, want %q", b, tp, topic)
			}
		}
		for i, id := range ids[b] { // a redelivery keeps the message id (UNIQ_KEY) of the original
			if id != sentID[b] {
				t.Errorf("%s delivery %d has msg id %q, the send result said %q", b, i+1, id, sentID[b])
			}
		}
		// CONSUMER_SEND_MSG_BACK copies the original's born timestamp (Java SendMessageProcessor);
		// a different one means the client fell back to re-sending it as a new message
		// (consumer/push_consumer.go sendMessageBack -> sendMessageBackAsNormal).
		for i, ts := range born[b] {
			if ts != born[b][0] {
				t.Errorf("%s delivery %d born at %d, the original at %d: CONSUMER_SEND_MSG_BACK not used?", b, i+1, ts, born[b][0])
			}
		}
	}
}

// 11. Pull consumer (the v2 "lite pull" API): Poll + ACK, and PullFrom explicit offsets.
func TestPullConsumer(t *testing.T) {
	t.Parallel()
	topic := uniq("pull")
	const queues = 4
	createTopic(t, topic, queues)
	p := newProducer(t)
	want := bodies("pull", 20)
	sendSyncAll(t, p, topic, want)

	newPull := func(t *testing.T) rocketmq.PullConsumer {
		pc, err := rocketmq.NewPullConsumer(
			consumer.WithNsResolver(resolver()),
			consumer.WithGroupName(uniq("pull_cg")),
			consumer.WithInstance(uniq("pull_i")),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		)
		if err != nil {
			t.Fatalf("NewPullConsumer: %v", err)
		}
		if err := pc.Subscribe(topic, selectAll()); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if err := pc.Start(); err != nil {
			t.Fatalf("pull consumer Start: %v", err)
		}
		t.Cleanup(func() { _ = pc.Shutdown() })
		return pc
	}

	t.Run("Poll", func(t *testing.T) {
		pc := newPull(t)
		got := map[string]int{}
		deadline := time.Now().Add(waitTimeout)
		for time.Now().Before(deadline) && !hasAll(got, want) {
			cr, err := pc.Poll(context.Background(), 2*time.Second)
			if consumer.IsNoNewMsgError(err) {
				continue
			}
			if err != nil {
				t.Fatalf("Poll: %v", err)
			}
			for _, m := range cr.GetMsgList() {
				got[string(m.Body)]++
			}
			pc.ACK(context.Background(), cr, consumer.ConsumeSuccess)
		}
		assertExactly(t, "Poll", got, want)
	})

	t.Run("PullFrom", func(t *testing.T) {
		pc := newPull(t)
		mqs, err := pc.GetTopicRouteInfo(topic)
		if err != nil || len(mqs) != queues {
			t.Fatalf("GetTopicRouteInfo: %v (%d queues)", err, len(mqs))
		}
		got := map[string]int{}
		for _, mq := range mqs {
			offset := int64(0)
			for {
				res, err := pc.PullFrom(context.Background(), mq, offset, 8)
				if err != nil {
					t.Fatalf("PullFrom(queue %d, offset %d): %v", mq.QueueId, offset, err)
				}
				if res.Status != primitive.PullFound {
					if res.Status != primitive.PullNoNewMsg {
						t.Errorf("PullFrom(queue %d, offset %d): status %v", mq.QueueId, offset, res.Status)
					}
					break
				}
				for _, m := range res.GetMessageExts() {
					got[string(m.Body)]++
				}
				if res.NextBeginOffset <= offset {
					t.Fatalf("PullFrom(queue %d, offset %d): next offset %d does not advance", mq.QueueId, offset, res.NextBeginOffset)
				}
				offset = res.NextBeginOffset
				if offset >= res.MaxOffset {
					break // the queue is drained; another pull would long-poll (20 s suspend) for nothing
				}
			}
		}
		assertExactly(t, "PullFrom", got, want)
	})
}

// 12. Admin: create a topic on the broker; read it back through the name server.
func TestAdmin(t *testing.T) {
	t.Parallel()
	topic := uniq("admin")
	adm := newAdmin(t)
	ctx := context.Background()
	if err := adm.CreateTopic(ctx,
		admin.WithTopicCreate(topic),
		admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(6),
		admin.WithWriteQueueNums(6),
	); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}

	t.Run("Route", func(t *testing.T) {
		mqs := waitRoute(t, adm, topic, 6)
		ids := map[int]bool{}
		for _, mq := range mqs {
			if mq.Topic != topic || mq.BrokerName == "" {
				t.Errorf("bad queue %v", mq)
			}
			ids[mq.QueueId] = true
		}
		for i := 0; i < 6; i++ {
			if !ids[i] {
				t.Errorf("queue id %d missing from route %v", i, mqs)
			}
		}
		clusters, err := adm.FetchClusterList(topic)
		if err != nil || len(clusters) == 0 {
			t.Errorf("FetchClusterList: %v %v", clusters, err)
		}
	})

	t.Run("TopicList", func(t *testing.T) {
		deadline := time.Now().Add(waitTimeout)
		for {
			list, err := adm.FetchAllTopicList(ctx)
			if err != nil {
				t.Fatalf("FetchAllTopicList: %v", err)
			}
			for _, tp := range list.TopicList {
				if tp == topic {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not in topic list (%d topics)", topic, len(list.TopicList))
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("SubscriptionGroups", func(t *testing.T) {
		w, err := adm.GetAllSubscriptionGroup(ctx, brokerAddr, 5*time.Second)
		if err != nil {
			t.Fatalf("GetAllSubscriptionGroup: %v", err)
		}
		t.Logf("%d subscription groups", len(w.SubscriptionGroupTable))
	})

	t.Run("Delete", func(t *testing.T) {
		if err := adm.DeleteTopic(ctx, admin.WithTopicDelete(topic), admin.WithBrokerAddrDelete(brokerAddr)); err != nil {
			t.Fatalf("DeleteTopic: %v", err)
		}
		list, err := adm.FetchAllTopicList(ctx)
		if err != nil {
			t.Fatalf("FetchAllTopicList: %v", err)
		}
		for _, tp := range list.TopicList {
			if tp == topic {
				t.Fatalf("%s still in the topic list after DeleteTopic", topic)
			}
		}
	})
}
