package compat

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// txListener commits "tx-commit", rolls back "tx-rollback" and answers UnknowState for anything
// else at send time; the broker's check-back then commits it.
type txListener struct {
	mu       sync.Mutex
	executed map[string]int
	checked  map[string]int
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.executed[string(m.Body)]++
	switch string(m.Body) {
	case "tx-commit":
		return primitive.CommitMessageState
	case "tx-rollback":
		return primitive.RollbackMessageState
	default:
		return primitive.UnkonwnState
	}
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked[string(m.Body)]++
	if string(m.Body) == "tx-rollback" {
		return primitive.RollbackMessageState
	}
	return primitive.CommitMessageState
}

// 15. Transactions: one half message committed at once, one rolled back, one left unknown and
// committed by the broker's check-back; exactly the two committed ones are consumed.
func TestTransaction(t *testing.T) {
	t.Parallel()
	topic, group := uniq("tx"), uniq("tx_cg")
	createTopic(t, topic, 2)
	col := &collector{}
	startPushConsumer(t, group, topic, selectAll(), col.handler())
	l := &txListener{executed: map[string]int{}, checked: map[string]int{}}
	pg := uniq("tx_pg")
	tp, err := producer.NewTransactionProducer(l,
		producer.WithNsResolver(resolver()),
		producer.WithGroupName(pg),
		producer.WithInstanceName(uniq("tx_pi")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	if err != nil {
		t.Fatalf("NewTransactionProducer: %v", err)
	}
	if err := tp.Start(); err != nil {
		t.Fatalf("transaction producer Start: %v", err)
	}
	t.Cleanup(func() { _ = tp.Shutdown() })

	states := map[string]primitive.LocalTransactionState{
		"tx-commit":   primitive.CommitMessageState,
		"tx-rollback": primitive.RollbackMessageState,
		"tx-unknown":  primitive.UnkonwnState,
	}
	ids := map[string]string{}
	for _, b := range []string{"tx-commit", "tx-rollback", "tx-unknown"} {
		res, err := tp.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(b)).WithKeys([]string{"key-" + b}))
		if err != nil {
			t.Fatalf("SendMessageInTransaction(%s): %v", b, err)
		}
		if res.Status != primitive.SendOK || res.State != states[b] {
			t.Fatalf("SendMessageInTransaction(%s): status %v state %v, want SendOK and %v", b, res.Status, res.State, states[b])
		}
		ids[b] = res.MsgID
	}
	want := []string{"tx-commit", "tx-unknown"}
	got := col.waitBodies(t, want)
	time.Sleep(2 * time.Second) // more check rounds (1 s in the runner's broker config): nothing else may appear
	got = col.counts()
	l.mu.Lock()
	t.Logf("executed %v, checked %v", l.executed, l.checked)
	checkedUnknown := l.checked["tx-unknown"]
	l.mu.Unlock()
	assertExactly(t, "consumer of the transactional topic", got, want)
	if checkedUnknown == 0 {
		t.Errorf("tx-unknown was committed without CheckLocalTransaction being asked")
	}
	for _, m := range col.snapshot() {
		b := string(m.Body)
		if m.MsgId != ids[b] {
			t.Errorf("%s: msg id %q, the send result said %q", b, m.MsgId, ids[b])
		}
		if m.Topic != topic || m.GetKeys() != "key-"+b {
			t.Errorf("%s: topic %q keys %q, want %q and key-%s", b, m.Topic, m.GetKeys(), topic, b)
		}
		if pgp := m.GetProperty("PGROUP"); pgp != pg {
			t.Errorf("%s: PGROUP %q, want the producer group %q", b, pgp, pg)
		}
	}
}
