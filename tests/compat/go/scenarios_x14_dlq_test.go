package compat

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// 14. Dead letters: a listener that always answers ConsumeRetryLater with WithMaxReconsumeTimes(2)
// gets each message 3 times (reconsumeTimes 0, 1, 2); then it is in %DLQ%<group>, which a Go pull
// consumer reads back: same body and message id, RETRY_TOPIC the original topic,
// ORIGIN_MESSAGE_ID the original message.
func TestDeadLetterQueue(t *testing.T) {
	t.Parallel()
	topic, group := uniq("dlq"), uniq("dlq_cg")
	createTopic(t, topic, 2)
	// The broker creates %RETRY%<group> at the group's first heartbeat, which the Go client sends
	// after reading its routes at Start; unless a heartbeat got there first, the client learns
	// the retry topic's route only at its next 30 s route poll, and the first retry comes ~40 s
	// late. Creating the retry topic up front (1 queue, as the broker would) keeps this quick.
	createTopic(t, "%RETRY%"+group, 1)
	var mu sync.Mutex
	attempts := map[string][]int32{}
	start := time.Now()
	startPushConsumer(t, group, topic, selectAll(),
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				t.Logf("%s delivery at +%v: reconsumeTimes=%d queue=%v", m.Body, time.Since(start).Round(time.Millisecond),
					m.ReconsumeTimes, m.Queue)
				attempts[string(m.Body)] = append(attempts[string(m.Body)], m.ReconsumeTimes)
			}
			return consumer.ConsumeRetryLater, nil
		}, consumer.WithMaxReconsumeTimes(2))
	p := newProducer(t)
	want := bodies("dlq", 2)
	sent := map[string]*primitive.SendResult{}
	for _, b := range want {
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)).WithTag("TagD").WithKeys([]string{"key-" + b}))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
		sent[b] = res
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := 0
		for _, b := range want {
			if len(attempts[b]) >= 3 {
				n++
			}
		}
		mu.Unlock()
		if n == len(want) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("3 deliveries each after %v", time.Since(deadline.Add(-waitTimeout)).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // a 4th delivery would come ~1 s after the 3rd
	mu.Lock()
	got := map[string][]int32{}
	for k, v := range attempts {
		got[k] = v
	}
	mu.Unlock()
	wantAttempts := map[string][]int32{}
	for _, b := range want {
		wantAttempts[b] = []int32{0, 1, 2}
	}
	if !reflect.DeepEqual(got, wantAttempts) {
		t.Fatalf("deliveries (reconsumeTimes per body) %v, want %v: first delivery plus maxReconsumeTimes=2 retries", got, wantAttempts)
	}

	// Read %DLQ%<group> back with the official client's pull consumer.
	dlq := "%DLQ%" + group
	waitRoute(t, newAdmin(t), dlq, 1)
	t.Logf("%s routed", dlq)
	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(uniq("dlq_reader_cg")),
		consumer.WithInstance(uniq("dlq_reader_i")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		t.Fatalf("NewPullConsumer: %v", err)
	}
	if err := pc.Subscribe(dlq, selectAll()); err != nil {
		t.Fatalf("Subscribe(%s): %v", dlq, err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("pull consumer Start: %v", err)
	}
	t.Cleanup(func() { _ = pc.Shutdown() })
	mqs, err := pc.GetTopicRouteInfo(dlq)
	if err != nil || len(mqs) == 0 {
		t.Fatalf("GetTopicRouteInfo(%s): %v (%d queues)", dlq, err, len(mqs))
	}
	found := map[string]*primitive.MessageExt{}
	counts := map[string]int{}
	for _, mq := range mqs {
		res, err := pc.PullFrom(context.Background(), mq, 0, 32)
		if err != nil {
			t.Fatalf("PullFrom(%v, 0): %v", mq, err)
		}
		if res.Status != primitive.PullFound {
			continue
		}
		for _, m := range res.GetMessageExts() {
			counts[string(m.Body)]++
			found[string(m.Body)] = m
		}
	}
	t.Logf("%s read", dlq)
	assertExactly(t, "messages in "+dlq, counts, want)
	for _, b := range want {
		m := found[b]
		t.Logf("%s in %s: msgId=%s reconsumeTimes=%d RETRY_TOPIC=%q ORIGIN_MESSAGE_ID=%q (sent: msgId %s, offsetMsgId %s)",
			b, dlq, m.MsgId, m.ReconsumeTimes, m.GetProperty("RETRY_TOPIC"), m.GetProperty("ORIGIN_MESSAGE_ID"),
			sent[b].MsgID, sent[b].OffsetMsgID)
		if m.Topic != dlq {
			t.Errorf("%s: topic %q, want %q", b, m.Topic, dlq)
		}
		if m.MsgId != sent[b].MsgID {
			t.Errorf("%s: msg id %q in the DLQ, the send result said %q", b, m.MsgId, sent[b].MsgID)
		}
		if rt := m.GetProperty("RETRY_TOPIC"); rt != topic {
			t.Errorf("%s: RETRY_TOPIC %q, want the original topic %q", b, rt, topic)
		}
		// The official broker writes the original's id here; which form (the unique id the Go
		// client passes as originMsgId, or the broker's offset id) is the broker's choice.
		if o := m.GetProperty("ORIGIN_MESSAGE_ID"); o != sent[b].MsgID && o != sent[b].OffsetMsgID {
			t.Errorf("%s: ORIGIN_MESSAGE_ID %q is neither the message id %q nor its offset id %q",
				b, o, sent[b].MsgID, sent[b].OffsetMsgID)
		}
		if m.ReconsumeTimes != 3 {
			t.Errorf("%s: reconsumeTimes %d in the DLQ, want 3", b, m.ReconsumeTimes)
		}
		if m.GetTags() != "TagD" || m.GetKeys() != "key-"+b {
			t.Errorf("%s: tags %q keys %q in the DLQ, want TagD and key-%s", b, m.GetTags(), m.GetKeys(), b)
		}
	}
}
