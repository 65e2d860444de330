// Command capture drives the official Go client (github.com/apache/rocketmq-client-go/v2)
// through every request kind it sends with a JSON body, so that a capture proxy between it and
// our servers records the bodies as codec vectors (tests/compat/capture-vectors.sh).
//
// Usage: capture NAMESRV BROKER
//
// Roles, each in its own client instance so that each heartbeat body holds one role: producer,
// push consumer clustering with a TAG subscription, push consumer broadcasting, push consumer
// with an SQL92 subscription, orderly push consumer (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ), pull
// consumer. After the messages are consumed it prints "POKE group topic msgId" lines (the
// groups whose clients an admin tool should make the broker call: GET_CONSUMER_RUNNING_INFO,
// GET_CONSUMER_STATUS_FROM_CLIENT, CONSUME_MESSAGE_DIRECTLY, RESET_CONSUMER_CLIENT_OFFSET),
// then "READY", and keeps running until the file named by CAPTURE_WAIT_FILE exists (at most
// 90 s), then shuts everything down. Each failed step is printed as "STEP name FAILED: reason"
// and the run goes on.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var (
	run       = strconv.FormatInt(time.Now().UnixMilli()%1_000_000_000, 36)
	nsAddr    string
	brokerAdr string
	shutdowns []func() error
	received  atomic.Int64
)

func name(role string) string { return "cap_" + role + "_" + run }

func resolver() primitive.NsResolver { return primitive.NewPassthroughResolver([]string{nsAddr}) }

func step(what string, f func() error) bool {
	if err := f(); err != nil {
		fmt.Printf("STEP %s FAILED: %v\n", what, err)
		return false
	}
	fmt.Printf("STEP %s ok\n", what)
	return true
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: capture NAMESRV BROKER")
		os.Exit(2)
	}
	nsAddr, brokerAdr = os.Args[1], os.Args[2]
	level := os.Getenv("COMPAT_GO_LOG_LEVEL")
	if level == "" {
		level = "error"
	}
	rlog.SetLogLevel(level)
	defer func() {
		for i := len(shutdowns) - 1; i >= 0; i-- {
			_ = shutdowns[i]()
		}
		fmt.Println("DONE")
	}()
	runAll()
}

func createTopic(adm admin.Admin, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(brokerAdr),
		admin.WithReadQueueNums(4), admin.WithWriteQueueNums(4))
}

func pushConsumer(role, topic string, sel consumer.MessageSelector, opts ...consumer.Option) {
	step("push consumer "+role, func() error {
		all := append([]consumer.Option{
			consumer.WithNsResolver(resolver()),
			consumer.WithGroupName(name(role)),
			consumer.WithInstance("cap-" + role + "-" + run),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		}, opts...)
		c, err := rocketmq.NewPushConsumer(all...)
		if err != nil {
			return err
		}
		h := func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			received.Add(int64(len(msgs)))
			return consumer.ConsumeSuccess, nil
		}
		if err := c.Subscribe(topic, sel, h); err != nil {
			return err
		}
		if err := c.Start(); err != nil {
			return err
		}
		shutdowns = append(shutdowns, c.Shutdown)
		return nil
	})
}

func orderlyConsumer(topic string) {
	step("push consumer order", func() error {
		c, err := rocketmq.NewPushConsumer(
			consumer.WithNsResolver(resolver()),
			consumer.WithGroupName(name("order")),
			consumer.WithInstance("cap-order-"+run),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
			consumer.WithConsumerOrder(true),
		)
		if err != nil {
			return err
		}
		h := func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			received.Add(int64(len(msgs)))
			return consumer.ConsumeSuccess, nil
		}
		if err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, h); err != nil {
			return err
		}
		if err := c.Start(); err != nil {
			return err
		}
		shutdowns = append(shutdowns, c.Shutdown)
		return nil
	})
}

func runAll() {
	topic, orderTopic := name("topic"), name("order_topic")
	adm, err := admin.NewAdmin(admin.WithResolver(resolver()))
	if err != nil {
		fmt.Println("STEP admin FAILED:", err)
		return
	}
	shutdowns = append(shutdowns, adm.Close)
	for _, t := range []string{topic, orderTopic} {
		t := t
		step("create topic "+t, func() error { return createTopic(adm, t) })
	}
	time.Sleep(4 * time.Second) // the name server serves the new routes

	p, err := rocketmq.NewProducer(producer.WithNsResolver(resolver()), producer.WithGroupName(name("pg")),
		producer.WithInstanceName("cap-producer-"+run), producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second))
	if err == nil {
		err = p.Start()
	}
	if err != nil {
		fmt.Println("STEP producer FAILED:", err)
		return
	}
	shutdowns = append(shutdowns, p.Shutdown)
	producerStarted := time.Now()

	pushConsumer("push_tag", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "a || b"})
	pushConsumer("bcast", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		consumer.WithConsumerModel(consumer.BroadCasting), consumer.WithConsumeFromWhere(consumer.ConsumeFromTimestamp))
	pushConsumer("sql", topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: "a between 0 and 9"})
	orderlyConsumer(orderTopic)

	var pull interface {
		Poll(context.Context, time.Duration) (*consumer.ConsumeRequest, error)
		ACK(context.Context, *consumer.ConsumeRequest, consumer.ConsumeResult)
	}
	step("pull consumer", func() error {
		c, err := consumer.NewPullConsumer(consumer.WithNsResolver(resolver()),
			consumer.WithGroupName(name("pull")), consumer.WithInstance("cap-pull-"+run),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
		if err != nil {
			return err
		}
		if err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "a || c"}); err != nil {
			return err
		}
		if err := c.Start(); err != nil {
			return err
		}
		shutdowns = append(shutdowns, c.Shutdown)
		pull = c
		return nil
	})

	time.Sleep(3 * time.Second)
	firstID := ""
	step("send", func() error {
		for i := 0; i < 8; i++ {
			tag := "a"
			if i%2 == 1 {
				tag = "b"
			}
			m := primitive.NewMessage(topic, []byte(fmt.Sprintf("capture body %d", i)))
			m.WithTag(tag)
			m.WithKeys([]string{fmt.Sprintf("key%d", i)})
			m.WithProperty("a", strconv.Itoa(i))
			r, err := p.SendSync(context.Background(), m)
			if err != nil {
				return err
			}
			if firstID == "" {
				firstID = r.MsgID
			}
			o := primitive.NewMessage(orderTopic, []byte(fmt.Sprintf("order body %d", i)))
			if _, err := p.SendSync(context.Background(), o); err != nil {
				return err
			}
		}
		batch := []*primitive.Message{
			primitive.NewMessage(topic, []byte("batch body 0")).WithTag("c"),
			primitive.NewMessage(topic, []byte("batch body 1")).WithTag("c"),
		}
		_, err := p.SendSync(context.Background(), batch...)
		return err
	})
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if pull != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if cr, err := pull.Poll(ctx, time.Second); err == nil && cr != nil {
				pull.ACK(context.Background(), cr, consumer.ConsumeSuccess)
			}
			cancel()
		} else {
			time.Sleep(time.Second)
		}
	}
	fmt.Printf("received %d\n", received.Load())
	fmt.Printf("POKE %s %s %s\n", name("push_tag"), topic, firstID)
	fmt.Printf("POKE %s %s\n", name("order"), orderTopic)
	fmt.Printf("POKE %s %s\n", name("pull"), topic)
	fmt.Println("READY")
	wait := os.Getenv("CAPTURE_WAIT_FILE")
	end := time.Now().Add(90 * time.Second)
	for wait != "" && time.Now().Before(end) {
		if _, err := os.Stat(wait); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The Go client sends a producer's heartbeat only from its 30 s timer (consumers send one at
	// start): stay up until the first one went out.
	if left := 33*time.Second - time.Since(producerStarted); left > 0 {
		time.Sleep(left)
	}
}
