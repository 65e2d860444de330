package grpcgo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Set by TestMain from the environment the runner exports.
var (
	endpoint string // PROXY_ENDPOINT: our proxy's gRPC address (the SDK always dials TLS)
	nsAddr   string // NAMESRV_ADDR: our name server (topics are created through mqadmin)
	nameSeq  int64
)

const waitTimeout = 30 * time.Second

func TestMain(m *testing.M) {
	endpoint = os.Getenv("PROXY_ENDPOINT")
	nsAddr = os.Getenv("NAMESRV_ADDR")
	if endpoint == "" || nsAddr == "" {
		fmt.Fprintln(os.Stderr, "PROXY_ENDPOINT and NAMESRV_ADDR must be set; "+
			"use tests/compat/run-grpc-go-compat.sh to start our servers and run the suite")
		os.Exit(2)
	}
	rmq.ResetLogger()
	os.Exit(m.Run())
}

// uniq returns a topic/group name unique to this run.
func uniq(prefix string) string {
	return fmt.Sprintf("grpcgo_%s_%d_%d", prefix, time.Now().UnixMilli(), atomic.AddInt64(&nameSeq, 1))
}

func config(group string) *rmq.Config {
	return &rmq.Config{Endpoint: endpoint, ConsumerGroup: group, Credentials: &credentials.SessionCredentials{}}
}

// createTopic creates topic on every broker of the cluster with our mqadmin.
func createTopic(t *testing.T, topic string) {
	t.Helper()
	bin := os.Getenv("MQADMIN_BIN")
	if bin == "" {
		t.Fatal("MQADMIN_BIN is not set (tests/compat/run-grpc-go-compat.sh builds and passes it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "updateTopic", "-n", nsAddr, "-c", "DefaultCluster", "-t", topic,
		"-r", "4", "-w", "4").CombinedOutput()
	if err != nil {
		t.Fatalf("mqadmin updateTopic %s: %v\n%s", topic, err, out)
	}
}

// unimplemented says whether err is the proxy answering UNIMPLEMENTED (an RPC another branch
// serves); the scenario is skipped naming it rather than failed.
func unimplemented(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok && s.Code() == codes.Unimplemented {
			return true
		}
	}
	return err != nil && strings.Contains(err.Error(), "Unimplemented")
}

func skipIfUnimplemented(t *testing.T, rpc string, err error) {
	t.Helper()
	if unimplemented(err) {
		t.Skipf("%s is not served by this proxy build: %v", rpc, err)
	}
}

// startProducer starts a producer of topics with checker (nil: none).
func startProducer(t *testing.T, checker *rmq.TransactionChecker, topics ...string) rmq.Producer {
	t.Helper()
	opts := []rmq.ProducerOption{rmq.WithTopics(topics...)}
	if checker != nil {
		opts = append(opts, rmq.WithTransactionChecker(checker))
	}
	p, err := rmq.NewProducer(config(""), opts...)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("producer Start against %s: %v", endpoint, err)
	}
	t.Cleanup(func() { _ = p.GracefulStop() })
	return p
}

// startConsumer starts a SimpleConsumer of group subscribed to every message of topic.
func startConsumer(t *testing.T, group, topic string) rmq.SimpleConsumer {
	t.Helper()
	c, err := rmq.NewSimpleConsumer(config(group), rmq.WithAwaitDuration(5*time.Second),
		rmq.WithSubscriptionExpressions(map[string]*rmq.FilterExpression{topic: rmq.SUB_ALL}))
	if err != nil {
		t.Fatalf("NewSimpleConsumer: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("consumer Start against %s: %v", endpoint, err)
	}
	t.Cleanup(func() { _ = c.GracefulStop() })
	return c
}

// receiveIDs receives and acks until want ids arrived (or the timeout), then keeps receiving
// for settle to catch extras; returns each id's count.
func receiveIDs(t *testing.T, c rmq.SimpleConsumer, want int, settle time.Duration) map[string]int {
	t.Helper()
	got := map[string]int{}
	deadline := time.Now().Add(waitTimeout)
	var extraUntil time.Time
	for time.Now().Before(deadline) {
		if len(got) >= want && extraUntil.IsZero() {
			extraUntil = time.Now().Add(settle)
		}
		if !extraUntil.IsZero() && time.Now().After(extraUntil) {
			break
		}
		mvs, err := c.Receive(context.Background(), 16, 20*time.Second)
		if err != nil {
			skipIfUnimplemented(t, "ReceiveMessage", err)
			if s, ok := rmq.AsErrRpcStatus(err); ok && s.GetCode() == 40401 { // MESSAGE_NOT_FOUND
				continue
			}
			t.Fatalf("Receive: %v", err)
		}
		for _, mv := range mvs {
			got[mv.GetMessageId()]++
			if err := c.Ack(context.Background(), mv); err != nil {
				skipIfUnimplemented(t, "AckMessage", err)
				t.Fatalf("Ack %s: %v", mv.GetMessageId(), err)
			}
		}
	}
	return got
}

// assertExactly fails unless got holds each id of want once and nothing else.
func assertExactly(t *testing.T, what string, got map[string]int, want []string) {
	t.Helper()
	var missing, extra []string
	for _, id := range want {
		if got[id] != 1 {
			missing = append(missing, fmt.Sprintf("%s x%d", id, got[id]))
		}
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	for id := range got {
		if !wanted[id] {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("%s: want exactly %d ids once; wrong count: %v; unexpected: %v", what, len(want), missing, extra)
	}
}
