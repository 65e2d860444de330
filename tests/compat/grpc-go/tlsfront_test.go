package grpcgo

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"time"
)

// The Go SDK (v5.1.2) always dials TLS (with InsecureSkipVerify) and our proxy serves plaintext
// gRPC only, so the suite puts a TLS front in the test process: it terminates TLS with a
// throw-away self-signed certificate and forwards the HTTP/2 bytes to the proxy. Remove it when
// the proxy serves TLS on its gRPC port (issue 23).

// startTLSFront listens on a free loopback port and forwards each TLS connection to target;
// returns its address.
func startTLSFront(target string) (string, error) {
	cert, err := selfSigned()
	if err != nil {
		return "", err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		return "", err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go forward(c, target)
		}
	}()
	return ln.Addr().String(), nil
}

func forward(front net.Conn, target string) {
	defer front.Close()
	back, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer back.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(back, front); done <- struct{}{} }()
	go func() { _, _ = io.Copy(front, back); done <- struct{}{} }()
	<-done
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "rmq-rs grpc-go compat"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
