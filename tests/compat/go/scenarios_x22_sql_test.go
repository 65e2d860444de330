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
)

// SQL92 selectors (issue 22): a push consumer subscribed with
// consumer.MessageSelector{Type: consumer.SQL92} receives only the messages whose user
// properties match (the broker runs with enablePropertyFilter=true, tests/compat/cluster.sh).
func TestSQL92Subscription(t *testing.T) {
	t.Parallel()
	topic := uniq("sql")
	createTopic(t, topic, 4)
	p := newProducer(t)
	var want []string
	for i := 0; i < 20; i++ {
		body := fmt.Sprintf("gsql-%d", i)
		m := primitive.NewMessage(topic, []byte(body))
		m.WithTag("TagA")
		m.WithProperty("a", fmt.Sprint(i))
		region := "bj"
		if i%2 == 0 {
			region = "hz"
		}
		m.WithProperty("region", region)
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
		if i >= 10 && region == "hz" {
			want = append(want, body)
		}
	}
	c := &collector{}
	sel := consumer.MessageSelector{Type: consumer.SQL92, Expression: "a >= 10 AND region = 'hz'"}
	startPushConsumer(t, uniq("sql_cg"), topic, sel, c.handler())
	assertExactly(t, "SQL92 subscription", c.waitBodies(t, want), want)
}

// A malformed expression is refused by the broker's CHECK_CLIENT_CONFIG (46) with its position
// and reason, as the Java client checks at start (the Go client does not check; its pulls get the
// same SUBSCRIPTION_PARSE_FAILED).
func TestSQL92MalformedExpressionIsRefused(t *testing.T) {
	t.Parallel()
	body, _ := json.Marshal(map[string]any{
		"clientId": "go@sql", "group": uniq("sql_bad"),
		"subscriptionData": map[string]any{
			"classFilterMode": false, "topic": "T", "subString": "a > AND", "tagsSet": []string{},
			"codeSet": []int{}, "subVersion": time.Now().UnixMilli(), "expressionType": "SQL92",
		},
	})
	r, err := remotingCall(brokerAddr, 46, body, 5*time.Second)
	if err != nil {
		t.Fatalf("CHECK_CLIENT_CONFIG: %v", err)
	}
	if r.Code != 23 || !strings.Contains(r.Remark, "line 1, column 5") {
		t.Fatalf("CHECK_CLIENT_CONFIG answered %d %q, want 23 with the position", r.Code, r.Remark)
	}
}
