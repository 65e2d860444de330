//! Test kit: helpers that start our binaries on free loopback ports.
