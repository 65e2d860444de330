// Shared set-up for the Go compatibility suite: the official Apache RocketMQ Go client
// (github.com/apache/rocketmq-client-go/v2) against our name server and broker.
//
// Env:
//
//	NAMESRV_ADDR  name server address, host:port (required)
//	BROKER_ADDR   master broker address for admin CreateTopic (optional: discovered from the
//	              name server with GET_BROKER_CLUSTER_INFO when unset)
//	COMPAT_GO_LOG_LEVEL  Go client log level (default "error")
//	MQADMIN_BIN   our mqadmin binary (scenarios that check what the Go client has no API for)
//	FAILOVER_NAMESRV, FAILOVER_MASTER_ADDR, FAILOVER_MASTER_PID  broker-c, the set whose master
//	              the failover scenario kills (tests/compat/cluster.sh with CLUSTER_FAILOVER=1)
package compat

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

const (
	// Generous upper bound for anything that should arrive.
	waitTimeout = 60 * time.Second
	// How long to keep listening after the expected set arrived, to catch extra deliveries.
	settleTime = 2 * time.Second
)

var (
	nsAddr     string
	brokerAddr string
	nameSeq    int64
)

func TestMain(m *testing.M) {
	level := os.Getenv("COMPAT_GO_LOG_LEVEL") // the Go client is chatty; "warn" or "info" to debug
	if level == "" {
		level = "error"
	}
	rlog.SetLogLevel(level)
	nsAddr = strings.TrimPrefix(os.Getenv("NAMESRV_ADDR"), "http://")
	if nsAddr == "" {
		fmt.Fprintln(os.Stderr, "NAMESRV_ADDR is not set (host:port of a running name server); "+
			"use tests/compat/run-go-compat.sh to start our servers and run the suite")
		os.Exit(2)
	}
	brokerAddr = os.Getenv("BROKER_ADDR")
	if brokerAddr == "" {
		addr, err := discoverBroker(nsAddr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cannot discover the broker from name server %s: %v (set BROKER_ADDR)\n", nsAddr, err)
			os.Exit(2)
		}
		brokerAddr = addr
	}
	os.Exit(m.Run())
}

// uniq returns a topic/group/instance name unique to this run.
func uniq(prefix string) string {
	return fmt.Sprintf("go_%s_%d_%d", prefix, time.Now().UnixMilli(), atomic.AddInt64(&nameSeq, 1))
}

func resolver() primitive.NsResolver { return primitive.NewPassthroughResolver([]string{nsAddr}) }

func newAdmin(t *testing.T) admin.Admin {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(resolver()))
	if err != nil {
		t.Fatalf("admin.NewAdmin: %v", err)
	}
	t.Cleanup(func() { _ = adm.Close() })
	return adm
}

// createTopic creates topic on our broker through the admin API (UPDATE_AND_CREATE_TOPIC, code 17)
// and waits until the name server serves its route with the expected number of write queues.
func createTopic(t *testing.T, topic string, queues int) {
	t.Helper()
	adm := newAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := adm.CreateTopic(ctx,
		admin.WithTopicCreate(topic),
		admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(queues),
		admin.WithWriteQueueNums(queues),
	); err != nil {
		t.Fatalf("CreateTopic(%s) on broker %s: %v", topic, brokerAddr, err)
	}
	waitRoute(t, adm, topic, queues)
}

func waitRoute(t *testing.T, adm admin.Admin, topic string, queues int) []*primitive.MessageQueue {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var last string
	for time.Now().Before(deadline) {
		mqs, err := adm.FetchPublishMessageQueues(context.Background(), topic)
		if err == nil && len(mqs) == queues {
			return mqs
		}
		last = fmt.Sprintf("err=%v queues=%d", err, len(mqs))
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("name server never served a route for %s with %d queues (last: %s)", topic, queues, last)
	return nil
}

func newProducer(t *testing.T, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := append([]producer.Option{
		producer.WithNsResolver(resolver()),
		producer.WithGroupName(uniq("pg")),
		producer.WithInstanceName(uniq("pi")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10 * time.Second),
	}, opts...)
	p, err := rocketmq.NewProducer(all...)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("producer Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

type handler func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)

// startPushConsumer subscribes and starts a push consumer reading the topic from offset 0.
func startPushConsumer(t *testing.T, group, topic string, sel consumer.MessageSelector, h handler,
	opts ...consumer.Option) rocketmq.PushConsumer {
	t.Helper()
	all := append([]consumer.Option{
		consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniq("ci")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	c, err := rocketmq.NewPushConsumer(all...)
	if err != nil {
		t.Fatalf("NewPushConsumer: %v", err)
	}
	if err := c.Subscribe(topic, sel, h); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("push consumer Start (group %s, topic %s): %v", group, topic, err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

func selectAll() consumer.MessageSelector {
	return consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}
}

// collector records every delivered message.
type collector struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
	at   []time.Time
}

func (c *collector) add(msgs ...*primitive.MessageExt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, m := range msgs {
		c.msgs = append(c.msgs, m)
		c.at = append(c.at, now)
	}
}

func (c *collector) handler() handler {
	return func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		c.add(msgs...)
		return consumer.ConsumeSuccess, nil
	}
}

func (c *collector) snapshot() []*primitive.MessageExt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*primitive.MessageExt(nil), c.msgs...)
}

func (c *collector) counts() map[string]int {
	out := map[string]int{}
	for _, m := range c.snapshot() {
		out[string(m.Body)]++
	}
	return out
}

func hasAll(got map[string]int, want []string) bool {
	for _, w := range want {
		if got[w] == 0 {
			return false
		}
	}
	return true
}

// waitBodies waits until every body in want arrived (or the timeout), then settles briefly.
func (c *collector) waitBodies(t *testing.T, want []string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) && !hasAll(c.counts(), want) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settleTime)
	return c.counts()
}

// diffSet reports missing and unexpected bodies (and duplicates unless allowDup).
func diffSet(got map[string]int, want []string, allowDup bool) string {
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	var missing, extra, dup []string
	for _, w := range want {
		if got[w] == 0 {
			missing = append(missing, w)
		}
	}
	for g, n := range got {
		if !wantSet[g] {
			extra = append(extra, short(g))
		} else if n > 1 && !allowDup {
			dup = append(dup, fmt.Sprintf("%s x%d", short(g), n))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(dup)
	var b strings.Builder
	if len(missing) > 0 {
		fmt.Fprintf(&b, "missing %d of %d: %v; ", len(missing), len(want), missing)
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, "unexpected %d: %v; ", len(extra), extra)
	}
	if len(dup) > 0 {
		fmt.Fprintf(&b, "duplicated: %v; ", dup)
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s...(%d bytes)", s[:40], len(s))
	}
	return s
}

func assertExactly(t *testing.T, what string, got map[string]int, want []string) {
	t.Helper()
	if d := diffSet(got, want, false); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

func sendSyncAll(t *testing.T, p rocketmq.Producer, topic string, bs []string) {
	t.Helper()
	for _, b := range bs {
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(b)))
		if err != nil {
			t.Fatalf("SendSync(%s): %v", b, err)
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("SendSync(%s): status %v", b, res.Status)
		}
		if res.MsgID == "" || res.MessageQueue == nil {
			t.Fatalf("SendSync(%s): incomplete result %v", b, res)
		}
	}
}

// ---- minimal remoting client (JSON serialization), for the broker address lookup and probes ----

type remotingReply struct {
	Code   int
	Remark string
	Ext    map[string]string
	Body   []byte
}

func remotingCall(addr string, code int, body []byte, timeout time.Duration) (*remotingReply, error) {
	return remotingCallExt(addr, code, map[string]string{}, body, timeout)
}

// remotingCallExt sends one request with header fields ext and reads its response.
func remotingCallExt(addr string, code int, ext map[string]string, body []byte, timeout time.Duration) (*remotingReply, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	hdr, _ := json.Marshal(map[string]interface{}{
		"code": code, "language": "GO", "version": 317, "opaque": 1, "flag": 0, "extFields": ext,
	})
	frame := new(bytes.Buffer)
	_ = binary.Write(frame, binary.BigEndian, int32(4+len(hdr)+len(body)))
	_ = binary.Write(frame, binary.BigEndian, int32(len(hdr))) // serialize type 0 = JSON
	frame.Write(hdr)
	frame.Write(body)
	if _, err := conn.Write(frame.Bytes()); err != nil {
		return nil, err
	}
	var total, hlen int32
	if err := binary.Read(conn, binary.BigEndian, &total); err != nil {
		return nil, err
	}
	if err := binary.Read(conn, binary.BigEndian, &hlen); err != nil {
		return nil, err
	}
	hlen &= 0xFFFFFF
	rest := make([]byte, total-4)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return nil, err
	}
	var rh struct {
		Code   int               `json:"code"`
		Remark string            `json:"remark"`
		Ext    map[string]string `json:"extFields"`
	}
	if err := json.Unmarshal(rest[:hlen], &rh); err != nil {
		return nil, fmt.Errorf("response header: %v", err)
	}
	return &remotingReply{Code: rh.Code, Remark: rh.Remark, Ext: rh.Ext, Body: rest[hlen:]}, nil
}

var bareIntKey = regexp.MustCompile(`([{,])\s*(-?\d+)\s*:`)

// quoteIntKeys turns fastjson's {0:"addr"} into valid JSON {"0":"addr"}.
func quoteIntKeys(b []byte) []byte { return bareIntKey.ReplaceAll(b, []byte(`$1"$2":`)) }

func discoverBroker(ns string) (string, error) {
	reply, err := remotingCall(ns, 106 /* GET_BROKER_CLUSTER_INFO */, nil, 5*time.Second)
	if err != nil {
		return "", err
	}
	if reply.Code != 0 {
		return "", fmt.Errorf("GET_BROKER_CLUSTER_INFO: code %d %s", reply.Code, reply.Remark)
	}
	body := reply.Body
	var info struct {
		BrokerAddrTable map[string]struct {
			BrokerAddrs map[string]string `json:"brokerAddrs"`
		} `json:"brokerAddrTable"`
	}
	if err := json.Unmarshal(quoteIntKeys(body), &info); err != nil {
		return "", fmt.Errorf("cluster info %q: %v", body, err)
	}
	names := make([]string, 0, len(info.BrokerAddrTable))
	for n := range info.BrokerAddrTable {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if a := info.BrokerAddrTable[n].BrokerAddrs["0"]; a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("no master broker in cluster info %s", body)
}

// mqadmin runs our admin CLI (MQADMIN_BIN) with --json and returns stdout, stderr and the exit code.
func mqadmin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	bin := os.Getenv("MQADMIN_BIN")
	if bin == "" {
		t.Fatal("MQADMIN_BIN is not set (our mqadmin binary; tests/compat/run-go-compat.sh builds and passes it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("mqadmin %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// clusterAddrs returns brokerName -> brokerId -> address as the name server ns serves it.
func clusterAddrs(ns string) (map[string]map[string]string, error) {
	reply, err := remotingCall(ns, 106 /* GET_BROKER_CLUSTER_INFO */, nil, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if reply.Code != 0 {
		return nil, fmt.Errorf("GET_BROKER_CLUSTER_INFO: code %d %s", reply.Code, reply.Remark)
	}
	var info struct {
		BrokerAddrTable map[string]struct {
			BrokerAddrs map[string]string `json:"brokerAddrs"`
		} `json:"brokerAddrTable"`
	}
	if err := json.Unmarshal(quoteIntKeys(reply.Body), &info); err != nil {
		return nil, fmt.Errorf("cluster info %q: %v", reply.Body, err)
	}
	out := map[string]map[string]string{}
	for name, b := range info.BrokerAddrTable {
		out[name] = b.BrokerAddrs
	}
	return out, nil
}

// routeBrokerAddrs returns brokerName -> brokerId -> address of topic's route on name server ns
// (GET_ROUTEINFO_BY_TOPIC), or nil when the name server has no route.
func routeBrokerAddrs(ns, topic string) (map[string]map[string]string, error) {
	reply, err := remotingCallExt(ns, 105 /* GET_ROUTEINFO_BY_TOPIC */, map[string]string{"topic": topic}, nil, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if reply.Code == 17 /* TOPIC_NOT_EXIST */ {
		return nil, nil
	}
	if reply.Code != 0 {
		return nil, fmt.Errorf("GET_ROUTEINFO_BY_TOPIC %s: code %d %s", topic, reply.Code, reply.Remark)
	}
	var route struct {
		BrokerDatas []struct {
			BrokerName  string            `json:"brokerName"`
			BrokerAddrs map[string]string `json:"brokerAddrs"`
		} `json:"brokerDatas"`
	}
	if err := json.Unmarshal(quoteIntKeys(reply.Body), &route); err != nil {
		return nil, fmt.Errorf("route of %s %q: %v", topic, reply.Body, err)
	}
	out := map[string]map[string]string{}
	for _, b := range route.BrokerDatas {
		out[b.BrokerName] = b.BrokerAddrs
	}
	return out, nil
}

// maxOffset asks broker addr for the max offset of one queue (GET_MAX_OFFSET).
func maxOffset(addr, topic string, queue int) (int64, error) {
	reply, err := remotingCallExt(addr, 30 /* GET_MAX_OFFSET */, map[string]string{
		"topic": topic, "queueId": fmt.Sprint(queue),
	}, nil, 5*time.Second)
	if err != nil {
		return 0, err
	}
	if reply.Code != 0 {
		return 0, fmt.Errorf("GET_MAX_OFFSET %s/%d on %s: code %d %s", topic, queue, addr, reply.Code, reply.Remark)
	}
	n, err := strconv.ParseInt(reply.Ext["offset"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("GET_MAX_OFFSET %s/%d on %s: offset %q", topic, queue, addr, reply.Ext["offset"])
	}
	return n, nil
}
