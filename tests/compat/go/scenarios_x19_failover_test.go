package compat

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// 19. Failover: a topic on broker-c (own name server), N messages replicated to its slave, the
// master killed (SIGKILL); a push consumer reads all N through the slave.
//
// The consumer starts (suspended) while the master is up: the Go client reads a queue's starting
// offset only from the master (consumer/offset_store.go fetchConsumeOffsetFromBroker uses
// FindBrokerAddrByName, brokerId 0), so a Go push consumer that starts after the master is gone
// never gets a queue. Suspended from before Start, it sends no pull until it is resumed
// (it re-checks every 30 s), so every message it gets comes from the slave.
func TestFailoverConsumeFromSlave(t *testing.T) {
	t.Parallel()
	ns, masterAddr, pidStr := os.Getenv("FAILOVER_NAMESRV"), os.Getenv("FAILOVER_MASTER_ADDR"), os.Getenv("FAILOVER_MASTER_PID")
	if ns == "" || masterAddr == "" || pidStr == "" {
		t.Skip("no failover broker set in this run (FAILOVER_NAMESRV/_MASTER_ADDR/_MASTER_PID unset; run-go-compat.sh starts one)")
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		t.Fatalf("FAILOVER_MASTER_PID %q: %v", pidStr, err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("failover master (pid %d) is not running: %v", pid, err)
	}
	foResolver := primitive.NewPassthroughResolver([]string{ns})
	topic, group := uniq("failover"), uniq("failover_cg")
	const queues, n = 4, 20

	adm, err := admin.NewAdmin(admin.WithResolver(foResolver))
	if err != nil {
		t.Fatalf("admin.NewAdmin: %v", err)
	}
	t.Cleanup(func() { _ = adm.Close() })
	if err := adm.CreateTopic(context.Background(), admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(masterAddr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		t.Fatalf("CreateTopic(%s) on %s: %v", topic, masterAddr, err)
	}
	created := time.Now()
	waitRoute(t, adm, topic, queues)
	var brokerName, slaveAddr string
	if addrs, err := routeBrokerAddrs(ns, topic); err == nil {
		for name, ids := range addrs {
			brokerName, slaveAddr = name, ids["1"]
		}
	}
	if slaveAddr == "" {
		addrs, err := clusterAddrs(ns)
		if err != nil {
			t.Fatalf("cluster info from %s: %v", ns, err)
		}
		if brokerName != "" {
			slaveAddr = addrs[brokerName]["1"]
		}
	}
	if slaveAddr == "" {
		t.Fatalf("no slave of %s registered with %s", brokerName, ns)
	}
	t.Logf("topic %s on %s: master %s (pid %d), slave %s", topic, brokerName, masterAddr, pid, slaveAddr)

	col := &collector{}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(foResolver),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniq("failover_ci")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		t.Fatalf("NewPushConsumer: %v", err)
	}
	if err := c.Subscribe(topic, selectAll(), col.handler()); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	c.Suspend()
	if err := c.Start(); err != nil {
		t.Fatalf("push consumer Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })

	pr, err := rocketmq.NewProducer(
		producer.WithNsResolver(foResolver),
		producer.WithGroupName(uniq("failover_pg")),
		producer.WithInstanceName(uniq("failover_pi")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := pr.Start(); err != nil {
		t.Fatalf("producer Start: %v", err)
	}
	want := bodies("failover", n)
	ids := map[string]string{}
	perQueue := map[int]int64{}
	for _, b := range want {
		res, err := pr.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)))
		if err != nil || res.Status != primitive.SendOK {
			_ = pr.Shutdown()
			t.Fatalf("SendSync(%s): %v %v", b, res, err)
		}
		ids[b] = res.MsgID
		if res.QueueOffset+1 > perQueue[res.MessageQueue.QueueId] {
			perQueue[res.MessageQueue.QueueId] = res.QueueOffset + 1
		}
	}
	_ = pr.Shutdown()

	// Wait until the slave serves every message (its consume queues reach the master's max
	// offsets), and until its metadata sync (every 10 s) has given it the topic.
	deadline := time.Now().Add(waitTimeout)
	var lag string
	for {
		lag = ""
		for q, want := range perQueue {
			got, err := maxOffset(slaveAddr, topic, q)
			if err != nil || got < want {
				lag += fmt.Sprintf(" queue %d: %d/%d %v;", q, got, want, err)
			}
		}
		if lag == "" && time.Since(created) > 12*time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slave %s never caught up:%s", slaveAddr, lag)
		}
		time.Sleep(300 * time.Millisecond)
	}

	if n := len(col.snapshot()); n != 0 {
		t.Fatalf("the suspended consumer received %d messages while the master was up", n)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d (broker-c master): %v", pid, err)
	}
	t.Logf("killed the master (pid %d) at +%v", pid, time.Since(created).Round(time.Millisecond))
	// The name server drops the master when its connection closes.
	deadline = time.Now().Add(30 * time.Second)
	for {
		addrs, err := routeBrokerAddrs(ns, topic)
		if err == nil && addrs[brokerName] != nil && addrs[brokerName]["0"] == "" && addrs[brokerName]["1"] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the name server still routes %s to the killed master (or lost the slave): %v %v", topic, addrs, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	c.Resume()
	start := time.Now()
	got := col.waitBodies(t, want)
	t.Logf("all %d read through the slave %v after resume", len(col.snapshot()), time.Since(start).Round(time.Millisecond))
	assertExactly(t, "push consumer reading through the slave", got, want)
	for _, m := range col.snapshot() {
		if m.MsgId != ids[string(m.Body)] {
			t.Errorf("%s: msg id %q, the send result said %q", m.Body, m.MsgId, ids[string(m.Body)])
		}
	}
}
