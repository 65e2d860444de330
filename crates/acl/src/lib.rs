//! RocketMQ ACL 1.0 (`aclEnable=true`): the plain_acl.yml model (`file`), request signatures
//! (`sign`, HmacSHA1 over the sorted header values and the body, as `AclClientRPCHook`),
//! address patterns (`addr`), permission bits (`perm`), what each request code needs
//! (`resource`), changes made by the admin codes (`edit`), the check with reload on change (`validator`) and the dispatch hook (`guard`).
//! ACL 2.0 (RocketMQ 5.3's users and policies) lives in `v2`.

pub mod addr;
pub mod edit;
pub mod error;
pub mod file;
pub mod guard;
pub mod perm;
pub mod resource;
pub mod sign;
pub mod v2;
pub mod validator;

pub use error::{AclError, Denial};
pub use guard::AclGuard;
pub use sign::Credentials;
pub use validator::{AclValidator, Scope};
