//! ACL 2.0 (RocketMQ 5.3+: `authenticationEnabled`, `authorizationEnabled`): users and
//! subjects' policies (`model`), their wire bodies (`convert`), the durable store (`store`),
//! source addresses (`ip`), what each request code needs (`needs`), policy evaluation
//! (`eval`), the request check (`check`), the AUTH_* administration codes (`admin`) and the
//! dispatch hook (`layer`). Signatures are ACL 1.0's (`crate::sign`): AccessKey = username,
//! SecretKey = password.

pub mod admin;
pub mod check;
pub mod convert;
pub mod eval;
pub mod ip;
pub mod layer;
pub mod migrate;
pub mod model;
pub mod needs;
pub mod store;

pub use check::{parse_whitelist, AuthChecker, AuthSettings};
pub use layer::AuthLayer;
pub use model::{User, UserStatus, UserType};
pub use store::{AuthStore, StoreError};
