package grpcgo

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
)

// authAdmin runs our mqadmin against the ACL-enabled set, signed as its super user; retried
// while the broker registers.
func authAdmin(t *testing.T, args ...string) {
	t.Helper()
	args = append(args, "-n", os.Getenv("AUTH_NAMESRV_ADDR"),
		"--accessKey", os.Getenv("AUTH_ADMIN_AK"), "--secretKey", os.Getenv("AUTH_ADMIN_SK"))
	var out []byte
	var err error
	for attempt := 0; attempt < 60; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err = exec.CommandContext(ctx, os.Getenv("MQADMIN_BIN"), args...).CombinedOutput()
		cancel()
		if err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("mqadmin %v: %v\n%s", args, err, out)
}

// assertUnauthorized fails unless err is the proxy's UNAUTHORIZED (40100) with reason: the
// status itself, or its text where the SDK formats it into a start-up error.
func assertUnauthorized(t *testing.T, what, id string, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s was served: message %s stored", what, id)
	}
	s, ok := rmq.AsErrRpcStatus(err)
	asStatus := ok && s.GetCode() == 40100 && strings.Contains(s.GetMessage(), reason)
	asText := strings.Contains(err.Error(), "CODE: UNAUTHORIZED, MESSAGE: ") && strings.Contains(err.Error(), reason)
	if !asStatus && !asText {
		t.Fatalf("%s: want UNAUTHORIZED (40100) saying %q, got %v", what, reason, err)
	}
	t.Logf("%s refused: %v", what, err)
}

// TestCredentials: the SDK's Config.Credentials against the ACL-enabled broker and proxy of
// start_auth_set. User app (made with our mqadmin) has PUB and SUB on one topic and SUB on one
// group: the right secret sends and receives the exact set of ids; a wrong secret and a topic
// the policy does not name are refused, and nothing of theirs is stored.
func TestCredentials(t *testing.T) {
	ep := os.Getenv("AUTH_PROXY_ENDPOINT")
	if ep == "" {
		t.Skip("AUTH_PROXY_ENDPOINT is not set (tests/compat/run-grpc-go-compat.sh starts the ACL-enabled set)")
	}
	topic, other, group, user := uniq("auth"), uniq("authother"), uniq("authg"), uniq("app")
	for _, tp := range []string{topic, other} {
		authAdmin(t, "updateTopic", "-c", "DefaultCluster", "-t", tp, "-r", "2", "-w", "2")
	}
	authAdmin(t, "updateSubGroup", "-c", "DefaultCluster", "-g", group)
	broker := os.Getenv("AUTH_BROKER_ADDR")
	authAdmin(t, "createUser", "-b", broker, "-u", user, "-p", "app-secret")
	authAdmin(t, "createAcl", "-b", broker, "-s", "User:"+user, "-r", "Topic:"+topic+",Group:"+group,
		"-a", "Pub,Sub", "-d", "Allow")
	cfg := func(group, secret string) *rmq.Config {
		creds := &credentials.SessionCredentials{AccessKey: user, AccessSecret: secret}
		return &rmq.Config{Endpoint: ep, ConsumerGroup: group, Credentials: creds}
	}
	// send starts a producer of tp with secret and sends one message; the first error.
	send := func(tp, secret, body string) (string, error) {
		p, err := rmq.NewProducer(cfg("", secret), rmq.WithTopics(tp))
		if err != nil {
			return "", err
		}
		if err := p.Start(); err != nil {
			return "", err
		}
		defer func() { _ = p.GracefulStop() }()
		r, err := p.Send(context.Background(), &rmq.Message{Topic: tp, Body: []byte(body)})
		if err != nil {
			return "", err
		}
		return r[0].MessageID, nil
	}
	id, err := send(topic, "not-the-secret", "wrong")
	assertUnauthorized(t, "a wrong secret", id, err, "check signature failed")
	id, err = send(other, "app-secret", "no-pub")
	assertUnauthorized(t, "a topic without PUB", id, err, "no permission to access Topic:"+other)
	p, err := rmq.NewProducer(cfg("", "app-secret"), rmq.WithTopics(topic))
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("producer Start with the right secret: %v", err)
	}
	t.Cleanup(func() { _ = p.GracefulStop() })
	var sent []string
	for i := 0; i < 10; i++ {
		r, err := p.Send(context.Background(), &rmq.Message{Topic: topic, Body: []byte("auth")})
		if err != nil {
			t.Fatalf("Send with the right secret: %v", err)
		}
		sent = append(sent, r[0].MessageID)
	}
	c, err := rmq.NewSimpleConsumer(cfg(group, "app-secret"), rmq.WithAwaitDuration(5*time.Second),
		rmq.WithSubscriptionExpressions(map[string]*rmq.FilterExpression{topic: rmq.SUB_ALL}))
	if err != nil {
		t.Fatalf("NewSimpleConsumer: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("consumer Start with the right secret: %v", err)
	}
	t.Cleanup(func() { _ = c.GracefulStop() })
	assertExactly(t, "right secret", receiveIDs(t, c, len(sent), 5*time.Second), sent)
}
