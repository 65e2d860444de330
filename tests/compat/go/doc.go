// Package compat holds the Go client compatibility tests (see README.md); all code is in _test.go files.
package compat
