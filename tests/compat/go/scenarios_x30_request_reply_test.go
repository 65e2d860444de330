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
	// The Go client heartbeats before a request only when the name server has no route for the
	// topic, and otherwise 1 s after start and every 30 s, to the brokers whose routes it knows;
	// a broker that does not know the requester cannot push the reply (as Apache RocketMQ's).
	// So: learn the topic's route with a plain send, then let the first heartbeat go out.
	if _, err := requester.SendSync(context.Background(), primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
		t.Fatalf("warm-up send: %v", err)
	}
	time.Sleep(2 * time.Second)
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

	// Every callback answer per request. The Go client calls a request's callback twice: once
	// with the reply, and again (same reply) when it drops the request from its cache, whose
	// eviction hook runs the callback; both calls must carry the exact reply.
	var mu sync.Mutex
	calls := map[string][]string{}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("gareq-%d", i)
		err := requester.RequestAsync(context.Background(), 15*time.Second,
			func(_ context.Context, reply *primitive.Message, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					calls[body] = append(calls[body], "error: "+err.Error())
					return
				}
				calls[body] = append(calls[body], string(reply.Body))
			}, primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			t.Fatalf("RequestAsync(%s): %v", body, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		k := len(calls)
		mu.Unlock()
		if k == n {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settleTime)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != n {
		t.Errorf("callbacks for %d of %d async requests: %v", len(calls), n, calls)
	}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("gareq-%d", i)
		for _, got := range calls[body] {
			if want := "reply-" + body; got != want {
				t.Errorf("async reply to %s: %q, want %q (all calls: %v)", body, got, want, calls[body])
			}
		}
	}
}
