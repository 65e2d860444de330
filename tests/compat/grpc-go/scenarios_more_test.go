package grpcgo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
)

// Asynchronous sends: every callback's id arrives exactly once.
func TestSendAsyncExactIds(t *testing.T) {
	topic, group := uniq("async"), uniq("g")
	createTopic(t, topic)
	p := startProducer(t, nil, topic)
	c := startConsumer(t, group, topic)
	var (
		mu   sync.Mutex
		ids  []string
		errs []error
		wg   sync.WaitGroup
	)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		msg := &rmq.Message{Topic: topic, Body: []byte(fmt.Sprintf("async-%d", i))}
		p.SendAsync(context.Background(), msg, func(_ context.Context, rs []*rmq.SendReceipt, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ids = append(ids, rs[0].MessageID)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		skipIfUnimplemented(t, "SendMessage", errs[0])
		t.Fatalf("SendAsync: %v", errs)
	}
	assertExactly(t, "async", receiveIDs(t, c, len(ids), 3*time.Second), ids)
}

// Delay messages (a delivery timestamp three seconds ahead): each delivered exactly once.
func TestDelayMessageExactIds(t *testing.T) {
	topic, group := uniq("delay"), uniq("g")
	createTopic(t, topic)
	p := startProducer(t, nil, topic)
	c := startConsumer(t, group, topic)
	at := time.Now().Add(3 * time.Second)
	var ids []string
	for i := 0; i < 3; i++ {
		msg := &rmq.Message{Topic: topic, Body: []byte(fmt.Sprintf("delay-%d", i))}
		msg.SetDelayTimestamp(at)
		rs, err := p.Send(context.Background(), msg)
		if err != nil {
			skipIfUnimplemented(t, "SendMessage", err)
			t.Fatalf("Send: %v", err)
		}
		ids = append(ids, rs[0].MessageID)
	}
	assertExactly(t, "delay", receiveIDs(t, c, len(ids), 2*time.Second), ids)
}
