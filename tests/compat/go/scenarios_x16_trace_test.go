package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

type traceRecord struct {
	Kind    string `json:"kind"`
	Group   string `json:"group"`
	Topic   string `json:"topic"`
	MsgID   string `json:"msgId"`
	Tags    string `json:"tags"`
	Keys    string `json:"keys"`
	Success bool   `json:"success"`
	Request string `json:"requestId"`
	Retry   int    `json:"retryTimes"`
}

// 16. Message trace: a producer and a push consumer with WithTrace write their Pub, SubBefore and
// SubAfter records to RMQ_SYS_TRACE_TOPIC; our mqadmin queryMsgTraceById reads all three.
func TestMessageTrace(t *testing.T) {
	t.Parallel()
	topic, group, pg := uniq("trace"), uniq("trace_cg"), uniq("trace_pg")
	createTopic(t, topic, 2)
	traceCfg := func() *primitive.TraceConfig {
		return &primitive.TraceConfig{NamesrvAddrs: []string{nsAddr}, Access: primitive.Local}
	}
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler(), consumer.WithTrace(traceCfg()))
	p := newProducer(t, producer.WithGroupName(pg), producer.WithTrace(traceCfg()))
	res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("traced")).WithTag("TagTr").WithKeys([]string{"key-tr"}))
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("SendSync: %v %v", res, err)
	}
	if !res.TraceOn || res.RegionID == "" {
		t.Fatalf("send result TraceOn=%v RegionID=%q: the client writes no Pub trace unless the broker answers TRACE_ON=true and MSG_REGION",
			res.TraceOn, res.RegionID)
	}
	assertExactly(t, "traced consumer", col.waitBodies(t, []string{"traced"}), []string{"traced"})

	var records []traceRecord
	var last string
	has := func(kind string) *traceRecord {
		for i := range records {
			if records[i].Kind == kind {
				return &records[i]
			}
		}
		return nil
	}
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		out, errOut, code := mqadmin(t, "-n", nsAddr, "queryMsgTraceById", "-i", res.MsgID)
		last = fmt.Sprintf("exit %d: %s %s", code, strings.TrimSpace(out), strings.TrimSpace(errOut))
		records = nil
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &records); err != nil {
				t.Fatalf("queryMsgTraceById --json output %q: %v", out, err)
			}
			if has("Pub") != nil && has("SubBefore") != nil && has("SubAfter") != nil {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("queryMsgTraceById -i %s: %s", res.MsgID, last)
	pub, before, after := has("Pub"), has("SubBefore"), has("SubAfter")
	if pub == nil || before == nil || after == nil {
		t.Fatalf("trace records of %s: Pub %v, SubBefore %v, SubAfter %v (last: %s)", res.MsgID, pub != nil, before != nil, after != nil, last)
	}
	if pub.Group != pg || pub.Topic != topic || pub.MsgID != res.MsgID || pub.Tags != "TagTr" || pub.Keys != "key-tr" || !pub.Success {
		t.Errorf("Pub record %+v, want group %s topic %s msgId %s tags TagTr keys key-tr success", *pub, pg, topic, res.MsgID)
	}
	if before.Group != group || before.MsgID != res.MsgID || before.Retry != 0 {
		t.Errorf("SubBefore record %+v, want group %s msgId %s retryTimes 0", *before, group, res.MsgID)
	}
	if after.MsgID != res.MsgID || !after.Success || after.Request != before.Request {
		t.Errorf("SubAfter record %+v, want msgId %s, success, requestId %s (SubBefore's)", *after, res.MsgID, before.Request)
	}
	for _, r := range records {
		if r.Kind != "Pub" && r.Kind != "SubBefore" && r.Kind != "SubAfter" {
			t.Errorf("unexpected trace record %+v", r)
		}
	}
	if len(records) != 3 {
		t.Errorf("%d trace records, want exactly one Pub, one SubBefore and one SubAfter: %+v", len(records), records)
	}
}
