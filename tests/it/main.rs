//! Process-level integration tests: our binaries started on free loopback ports.

mod broker;
mod client;
mod ha;
mod namesrv;
mod timer;
