package compat

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// Request-reply (issue 30): producer.Request / RequestAsync against our broker. A Go responder
// answers each request with consumer.CreateReplyMessage, sent with SEND_REPLY_MESSAGE (324, the
// Go client's reply code); our broker pushes the reply to the requester with
// PUSH_REPLY_MESSAGE_TO_CLIENT. Five sync and five async requests, each with its exact reply.
func TestRequestReply(t *testing.T) {
	t.Parallel()
	topic := uniq("rr")
	createTopic(t, topic, 4)
	replier := newProducer(t)
	startPushConsumer(t, uniq("rr_cg"), topic, selectAll(),
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				if consumer.GetReplyToClient(m) == "" {
					continue
				}
				reply, err := consumer.CreateReplyMessage(m, nil)
				if err != nil {
					return consumer.ConsumeRetryLater, err
				}
				// The Go client's CreateReplyMessage parses the body as properties instead of
				// setting it: set the body here.
				reply.Body = []byte("reply-" + string(m.Body))
				if _, err := replier.SendSync(ctx, reply); err != nil {
					return consumer.ConsumeRetryLater, err
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	requester := newProducer(t)
	const n = 5
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("greq-%d", i)
		reply, err := requester.Request(context.Background(), 15*time.Second, primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			t.Fatalf("Request(%s): %v", body, err)
		}
		if got, want := string(reply.Body), "reply-"+body; got != want {
			t.Errorf("reply to %s: %q, want %q", body, got, want)
		}
		if reply.GetProperty(primitive.PropertyCorrelationID) == "" {
			t.Errorf("reply to %s has no %s", body, primitive.PropertyCorrelationID)
		}
	}

	var mu sync.Mutex
	got := map[string]string{}
	errs := []error{}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("gareq-%d", i)
		wg.Add(1)
		err := requester.RequestAsync(context.Background(), 15*time.Second,
			func(_ context.Context, reply *primitive.Message, err error) {
				defer wg.Done()
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				got[body] = string(reply.Body)
			}, primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			t.Fatalf("RequestAsync(%s): %v", body, err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("not every async request was called back in 30 s")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("async requests failed: %v", errs)
	}
	want := map[string]string{}
	for i := 0; i < n; i++ {
		want[fmt.Sprintf("gareq-%d", i)] = fmt.Sprintf("reply-gareq-%d", i)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("async replies %v, want %v", got, want)
	}
}
