//! Consumers: the push consumer (listener callbacks on a worker pool, clustering or
//! broadcasting, concurrent or orderly), the lite pull consumer, the POP consumer (server-side
//! balanced, with its raw calls), and the raw pull call.

mod allocate;
mod lite_pull;
mod offset_store;
mod pop;
pub mod pop_api;
mod process_queue;
mod pull_api;
mod push;
mod rebalance;
mod subscription;
mod types;

pub use allocate::AllocateStrategy;
pub use lite_pull::{LitePullConfig, LitePullConsumer};
pub use pop::{PopConfig, PopConsumer, PopListener};
pub use pull_api::{pull, PullRequest, PullResult, PullStatus};
pub use push::{
    ConsumeContext, ConsumeSettings, ConsumerConfig, ConsumerConfigBuilder, Delivery, Listener, MessageStream,
    PullSettings, PushConsumer, RebalanceListener, StreamOptions,
};
pub use subscription::{MessageSelector, Subscription};
pub use types::{ConsumeFromWhere, ConsumeStatus, MessageModel, OrderlyStatus};
