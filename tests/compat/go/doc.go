// Package compat holds the Go client compatibility tests (see README.md); all code is in _test.go files.
// Scenarios 1-12 are in scenarios_test.go; 13 onwards one per file, scenarios_xNN_<area>_test.go,
// whose names sort after it, so go test and the runner's table keep the numbering.
package compat
