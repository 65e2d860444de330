//! The web console (`mqconsole`): server-rendered HTML pages over the admin API (`rmq-admin`),
//! for what an operator of the cluster looks at and does: brokers, topics, consumer groups,
//! messages, traces and charts of TPS and lag over the last hour.
//!
//! - [`config`]: [`ConsoleConfig`], the keys `mqconsole` reads.
//! - [`server`]: the axum router, [`bind`] and [`serve`]; `state`: [`Console`], what every
//!   handler shares, and the read-only guard.
//! - `pages/`: one module per page family (cluster, topics, groups, messages and traces,
//!   charts); `actions`: the changes (create/delete topic, reset offsets, resend a message),
//!   each with a confirmation step and refused unless the console runs with `admin`.
//! - [`history`]: the sampler and ring buffer behind the charts; [`chart`]: inline SVG.
//! - [`html`]: escaping, layout, tables; the stylesheet and script are embedded (no file or
//!   network access at run time).

mod actions;
pub mod chart;
pub mod config;
pub mod history;
pub mod html;
mod pages;
pub mod server;
mod state;

pub use config::ConsoleConfig;
pub use server::{bind, serve};
pub use state::Console;

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The HTTP port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// `host:port`.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The admin client could not start.
    #[error("admin client: {0}")]
    Admin(#[from] rmq_admin::AdminError),
    /// Serving failed.
    #[error("serving: {0}")]
    Serve(std::io::Error),
}
