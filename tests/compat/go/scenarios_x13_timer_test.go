package compat

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// 13. Timer messages: TIMER_DELIVER_MS (the client's WithDelayTimestamp, and the property set by
// hand) and the ONS-style __STARTDELIVERTIME, ~3 s ahead: each delivered once, never before its
// time and at most a couple of seconds after.
func TestTimerMessage(t *testing.T) {
	t.Parallel()
	topic, group := uniq("timer"), uniq("timer_cg")
	createTopic(t, topic, 2)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)
	// A plain message first, so the consumer is known to be pulling before the timers go out.
	sendSyncAll(t, p, topic, []string{"timer-probe"})
	col.waitBodies(t, []string{"timer-probe"})

	base := time.Now().Add(3 * time.Second).UnixMilli()
	due := map[string]int64{
		"timer-with-delay-timestamp": base,
		"timer-deliver-ms-property":  base + 500,
		"timer-startdelivertime":     base + 1000,
	}
	ids := map[string]string{}
	for _, b := range []string{"timer-with-delay-timestamp", "timer-deliver-ms-property", "timer-startdelivertime"} {
		m := primitive.NewMessage(topic, []byte(b))
		switch b {
		case "timer-with-delay-timestamp":
			m.WithDelayTimestamp(time.UnixMilli(due[b])) // sets TIMER_DELIVER_MS
		case "timer-deliver-ms-property":
			m.WithProperty("TIMER_DELIVER_MS", strconv.FormatInt(due[b], 10))
		default:
			m.WithProperty("__STARTDELIVERTIME", strconv.FormatInt(due[b], 10))
		}
		res, err := p.SendSync(context.Background(), m)
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
		ids[b] = res.MsgID
	}
	want := []string{"timer-probe", "timer-with-delay-timestamp", "timer-deliver-ms-property", "timer-startdelivertime"}
	assertExactly(t, "timer messages", col.waitBodies(t, want), want)
	col.mu.Lock()
	defer col.mu.Unlock()
	for i, m := range col.msgs {
		b := string(m.Body)
		d, ok := due[b]
		if !ok {
			continue
		}
		late := col.at[i].UnixMilli() - d
		stored := m.StoreTimestamp - d
		t.Logf("%s: received %d ms after its time, stored on %s %d ms after it", b, late, topic, stored)
		if late < 0 || stored < 0 {
			t.Errorf("%s delivered early: received %d ms, stored %d ms after its due time", b, late, stored)
		}
		if stored > 2000 || late > 3000 {
			t.Errorf("%s delivered late: stored %d ms, received %d ms after its due time", b, stored, late)
		}
		if m.Topic != topic {
			t.Errorf("%s delivered with topic %q, want %q", b, m.Topic, topic)
		}
		if m.MsgId != ids[b] {
			t.Errorf("%s: msg id %q, the send result said %q", b, m.MsgId, ids[b])
		}
	}
}
