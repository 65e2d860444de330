package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

type messageView struct {
	MsgID       string            `json:"msgId"`
	OffsetMsgID string            `json:"offsetMsgId"`
	Topic       string            `json:"topic"`
	Tags        string            `json:"tags"`
	Keys        string            `json:"keys"`
	QueueID     int               `json:"queueId"`
	QueueOffset int64             `json:"queueOffset"`
	Properties  map[string]string `json:"properties"`
	Body        string            `json:"body"`
}

// 17. Query by id and by key. The Go client has no query API in this version (admin.Admin has no
// view/query call; internal.ViewMessageRequestHeader and QueryMessageRequestHeader are never
// used), so our mqadmin (queryMsgById, queryMsgByUniqueKey, queryMsgByKey) looks up what the Go
// producer sent.
func TestQueryMessage(t *testing.T) {
	t.Parallel()
	topic := uniq("query")
	createTopic(t, topic, 4)
	p := newProducer(t)
	key := uniq("qkey")
	type sentMsg struct {
		body string
		keys []string
		res  *primitive.SendResult
	}
	msgs := []*sentMsg{
		{body: "query-a", keys: []string{key, "other-a"}},
		{body: "query-b", keys: []string{key}},
		{body: "query-c", keys: []string{"other-c"}},
	}
	for _, m := range msgs {
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(m.body)).WithTag("TagQ").WithKeys(m.keys))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): %v %v", m.body, res, err)
		}
		m.res = res
	}
	query := func(t *testing.T, args ...string) []messageView {
		t.Helper()
		var views []messageView
		var last string
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			out, errOut, code := mqadmin(t, append([]string{"-n", nsAddr}, args...)...)
			last = fmt.Sprintf("exit %d: %s %s", code, strings.TrimSpace(out), strings.TrimSpace(errOut))
			if code == 0 {
				views = nil
				if err := json.Unmarshal([]byte(out), &views); err != nil {
					t.Fatalf("mqadmin %v --json output %q: %v", args, out, err)
				}
				if len(views) > 0 {
					return views
				}
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("mqadmin %v found nothing (last: %s)", args, last)
		return nil
	}
	check := func(t *testing.T, what string, v messageView, m *sentMsg) {
		t.Helper()
		if v.MsgID != m.res.MsgID || v.OffsetMsgID != m.res.OffsetMsgID || v.Body != m.body || v.Topic != topic ||
			v.Tags != "TagQ" || v.Keys != strings.Join(m.keys, " ") || v.QueueID != m.res.MessageQueue.QueueId ||
			v.QueueOffset != m.res.QueueOffset {
			t.Errorf("%s: got msgId %s offsetMsgId %s body %q topic %s tags %q keys %q queue %d@%d; sent msgId %s offsetMsgId %s body %q keys %q queue %d@%d",
				what, v.MsgID, v.OffsetMsgID, v.Body, v.Topic, v.Tags, v.Keys, v.QueueID, v.QueueOffset,
				m.res.MsgID, m.res.OffsetMsgID, m.body, strings.Join(m.keys, " "), m.res.MessageQueue.QueueId, m.res.QueueOffset)
		}
	}

	t.Run("ByOffsetId", func(t *testing.T) {
		for _, m := range msgs {
			views := query(t, "queryMsgById", "-i", m.res.OffsetMsgID)
			if len(views) != 1 {
				t.Fatalf("queryMsgById -i %s: %d messages", m.res.OffsetMsgID, len(views))
			}
			check(t, "queryMsgById -i "+m.res.OffsetMsgID, views[0], m)
		}
	})
	t.Run("ByUniqueId", func(t *testing.T) {
		for _, m := range msgs {
			views := query(t, "queryMsgById", "-t", topic, "-i", m.res.MsgID)
			if len(views) != 1 {
				t.Fatalf("queryMsgById -t %s -i %s: %d messages", topic, m.res.MsgID, len(views))
			}
			check(t, "queryMsgById -i "+m.res.MsgID, views[0], m)
			views = query(t, "queryMsgByUniqueKey", "-t", topic, "-i", m.res.MsgID)
			if len(views) != 1 {
				t.Fatalf("queryMsgByUniqueKey -t %s -i %s: %d messages", topic, m.res.MsgID, len(views))
			}
			check(t, "queryMsgByUniqueKey -i "+m.res.MsgID, views[0], m)
		}
	})
	t.Run("ByKey", func(t *testing.T) {
		views := query(t, "queryMsgByKey", "-t", topic, "-k", key)
		got := map[string]int{}
		for _, v := range views {
			got[v.MsgID]++
		}
		wantIDs := []string{msgs[0].res.MsgID, msgs[1].res.MsgID}
		assertExactly(t, "queryMsgByKey -k "+key+" (message ids)", got, wantIDs)
		other := query(t, "queryMsgByKey", "-t", topic, "-k", "other-c")
		if len(other) != 1 || other[0].MsgID != msgs[2].res.MsgID {
			t.Errorf("queryMsgByKey -k other-c: %+v, want only %s", other, msgs[2].res.MsgID)
		}
	})
}
