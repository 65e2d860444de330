package grpcgo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
)

// The SDK starts against the proxy: QueryRoute of its topic and the Telemetry settings
// exchange; an unknown topic is refused at start.
func TestProducerStarts(t *testing.T) {
	topic := uniq("start")
	createTopic(t, topic)
	startProducer(t, nil, topic)
	p, err := rmq.NewProducer(config(""), rmq.WithTopics(uniq("missing")))
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err == nil {
		_ = p.GracefulStop()
		t.Fatal("a producer of a topic that does not exist started")
	}
}

// Normal messages: each id the producer was given comes to the SimpleConsumer exactly once.
func TestSendReceiveAckExactIds(t *testing.T) {
	topic, group := uniq("normal"), uniq("g")
	createTopic(t, topic)
	p := startProducer(t, nil, topic)
	c := startConsumer(t, group, topic)
	var ids []string
	for i := 0; i < 20; i++ {
		msg := &rmq.Message{Topic: topic, Body: []byte(fmt.Sprintf("normal-%d", i))}
		msg.SetTag("TagA")
		msg.SetKeys(fmt.Sprintf("k%d", i))
		rs, err := p.Send(context.Background(), msg)
		if err != nil {
			skipIfUnimplemented(t, "SendMessage", err)
			t.Fatalf("Send: %v", err)
		}
		ids = append(ids, rs[0].MessageID)
	}
	assertExactly(t, "normal", receiveIDs(t, c, len(ids), 3*time.Second), ids)
}

// checker answers the broker's check-backs by the message body's prefix and records the ids it
// was asked about.
type checker struct {
	mu    sync.Mutex
	asked map[string]int
}

func newChecker() *checker { return &checker{asked: map[string]int{}} }

func (k *checker) tc() *rmq.TransactionChecker {
	return &rmq.TransactionChecker{Check: func(mv *rmq.MessageView) rmq.TransactionResolution {
		k.mu.Lock()
		k.asked[mv.GetMessageId()]++
		k.mu.Unlock()
		switch body := string(mv.GetBody()); {
		case strings.HasPrefix(body, "check-commit"):
			return rmq.COMMIT
		case strings.HasPrefix(body, "commit"):
			return rmq.COMMIT
		default:
			return rmq.ROLLBACK
		}
	}}
}

func (k *checker) count(id string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.asked[id]
}

// sendHalf sends one transactional message and returns its id and transaction.
func sendHalf(t *testing.T, p rmq.Producer, topic, body string) (string, rmq.Transaction) {
	t.Helper()
	tx := p.BeginTransaction()
	rs, err := p.SendWithTransaction(context.Background(), &rmq.Message{Topic: topic, Body: []byte(body)}, tx)
	if err != nil {
		skipIfUnimplemented(t, "SendMessage", err)
		t.Fatalf("SendWithTransaction: %v", err)
	}
	return rs[0].MessageID, tx
}

// Committed transactional messages are delivered, rolled-back ones never: EndTransaction with
// COMMIT and ROLLBACK through the proxy.
func TestTransactionCommitAndRollback(t *testing.T) {
	topic, group := uniq("tx"), uniq("g")
	createTopic(t, topic)
	k := newChecker()
	p := startProducer(t, k.tc(), topic)
	c := startConsumer(t, group, topic)
	var committed []string
	for i := 0; i < 5; i++ {
		id, tx := sendHalf(t, p, topic, fmt.Sprintf("commit-%d", i))
		if err := tx.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		committed = append(committed, id)
		_, tx = sendHalf(t, p, topic, fmt.Sprintf("rollback-%d", i))
		if err := tx.RollBack(); err != nil {
			t.Fatalf("RollBack: %v", err)
		}
	}
	assertExactly(t, "committed", receiveIDs(t, c, len(committed), 4*time.Second), committed)
}

// A half message left undecided is checked back: the broker asks the proxy, the proxy asks this
// producer over its Telemetry stream, the checker's COMMIT comes back as EndTransaction and the
// message is delivered; the checker's ROLLBACK discards the other one.
func TestTransactionCheckBack(t *testing.T) {
	topic, group := uniq("txcheck"), uniq("g")
	createTopic(t, topic)
	k := newChecker()
	p := startProducer(t, k.tc(), topic)
	c := startConsumer(t, group, topic)
	commitID, _ := sendHalf(t, p, topic, "check-commit")
	rollbackID, _ := sendHalf(t, p, topic, "check-rollback")
	assertExactly(t, "checked back", receiveIDs(t, c, 1, 4*time.Second), []string{commitID})
	if k.count(commitID) == 0 || k.count(rollbackID) == 0 {
		t.Fatalf("the checker was not asked about both half messages: %v", k.asked)
	}
}
