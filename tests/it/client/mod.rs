//! The Rust client (`rmq-client`) and `mqadmin` against our name server and broker processes.

mod admin_cli;
mod admin_ops;
mod api;
mod examples;
mod pop;
mod request_reply;
mod sql;
mod streams;
mod trace;
mod transaction;
