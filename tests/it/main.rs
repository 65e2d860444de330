//! Process-level integration tests: our binaries started on free loopback ports.
// Process-level scenarios: a failed step panics with its reason, and a scenario reads top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod acl;
mod acl_admin;
mod auth;
mod broker;
mod client;
mod config;
mod console;
mod controller;
mod failover;
mod fault;
mod ha;
mod in_sync;
mod limits;
mod logs;
mod metrics;
mod namesrv;
mod pop;
mod resources;
mod robust;
mod shutdown;
mod sql;
mod timer;
mod tls;
