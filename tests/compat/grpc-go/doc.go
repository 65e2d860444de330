// Package grpcgo runs the official RocketMQ 5.x Go SDK
// (github.com/apache/rocketmq-clients/golang/v5) against our gRPC proxy (mqproxy) over our name
// server and brokers. The scenarios are in *_test.go; tests/compat/run-grpc-go-compat.sh starts
// the servers and runs them.
package grpcgo
