package compat

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// 18. Reset offset by time, then re-consume: the Go admin API cannot reset offsets, so our
// mqadmin resetOffsetByTime moves the live group back; the broker tells the Go push consumer
// (RESET_CONSUMER_CLIENT_OFFSET), which consumes every message a second time, and only once more.
func TestResetOffsetByTime(t *testing.T) {
	t.Parallel()
	topic, group := uniq("reset"), uniq("reset_cg")
	createTopic(t, topic, 2)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	p := newProducer(t)
	before := time.Now().Add(-time.Second).UnixMilli()
	want := bodies("reset", 10)
	sendSyncAll(t, p, topic, want)
	assertExactly(t, "first consumption", col.waitBodies(t, want), want)
	time.Sleep(6 * time.Second) // the client commits offsets every 5 s; the reset must move them back

	out, errOut, code := mqadmin(t, "-n", nsAddr, "resetOffsetByTime", "-g", group, "-t", topic, "-s", strconv.FormatInt(before, 10))
	if code != 0 {
		t.Fatalf("mqadmin resetOffsetByTime: exit %d: %s %s", code, out, errOut)
	}
	t.Logf("resetOffsetByTime: %s", strings.TrimSpace(out))
	var reset struct {
		Offsets []struct {
			QueueID int   `json:"queueId"`
			Offset  int64 `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal([]byte(out), &reset); err != nil || len(reset.Offsets) != 2 {
		t.Fatalf("resetOffsetByTime --json output %q (%v): want the new offsets of the topic's 2 queues", out, err)
	}
	for _, o := range reset.Offsets {
		if o.Offset != 0 {
			t.Errorf("queue %d reset to %d, want 0 (every message was stored after %d)", o.QueueID, o.Offset, before)
		}
	}
	// The Go client pauses, waits 10 s (consumer/push_consumer.go ResetOffset), then pulls again.
	deadline := time.Now().Add(waitTimeout)
	twice := func() bool {
		c := col.counts()
		for _, b := range want {
			if c[b] < 2 {
				return false
			}
		}
		return true
	}
	for time.Now().Before(deadline) && !twice() {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(settleTime)
	got := col.counts()
	var bad []string
	for _, b := range want {
		if got[b] != 2 {
			bad = append(bad, fmt.Sprintf("%s x%d", b, got[b]))
		}
	}
	for b := range got {
		if !strings.HasPrefix(b, "reset-") {
			bad = append(bad, "unexpected "+short(b))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("after resetOffsetByTime every message must be consumed exactly twice in all: %v", bad)
	}
}
