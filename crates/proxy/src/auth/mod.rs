//! ACL 2.0 on the gRPC port, as RocketMQ 5.3's proxy in cluster mode checks each call
//! (`AuthenticationPipeline` then `AuthorizationPipeline`): with `authenticationEnabled` the
//! credential the SDK signed the call with (`header`) must name an enabled user whose password
//! verifies the signature; with `authorizationEnabled` the user (super users pass) needs a policy
//! allowing each resource the call touches (`needs`). Users and ACLs come from a broker, cached
//! (`metadata`). A refusal is the RPC's answer with status UNAUTHORIZED and RocketMQ's reason, as
//! the official proxy answers both kinds; it is logged with the user and the peer, never the
//! secret.

pub mod header;
pub mod metadata;
pub mod needs;

use std::net::SocketAddr;
use std::sync::Arc;

use rmq_acl::v2::eval::authorize;
use rmq_acl::v2::model::{subject_key, UserStatus, UserType};
use rmq_client::ClientInstance;
use tonic::metadata::MetadataMap;
use tonic::Request;

use crate::config::ProxyConfig;
use crate::pb::{self, Code};
use crate::status::status;
use metadata::Metadata;
pub use needs::{Guarded, Needs};

/// Why a call is not served.
#[derive(Debug)]
enum Refusal {
    /// Credentials or permissions (UNAUTHORIZED).
    Denied(String),
    /// Users or ACLs could not be read (INTERNAL_SERVER_ERROR).
    Failed(String),
}

impl From<String> for Refusal {
    fn from(reason: String) -> Self {
        Self::Denied(reason)
    }
}

impl From<&str> for Refusal {
    fn from(reason: &str) -> Self {
        Self::Denied(reason.to_owned())
    }
}

/// The checks of the gRPC port.
#[derive(Debug)]
pub struct Guard {
    authentication: bool,
    authorization: bool,
    authentication_whitelist: Vec<String>,
    authorization_whitelist: Vec<String>,
    metadata: Metadata,
}

fn whitelist(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl Guard {
    /// The checks `config` turns on, `None` when neither is.
    #[must_use]
    pub fn new(config: &ProxyConfig, cluster: Arc<ClientInstance>) -> Option<Arc<Self>> {
        (config.authentication_enabled || config.authorization_enabled).then(|| {
            Arc::new(Self {
                authentication: config.authentication_enabled,
                authorization: config.authorization_enabled,
                authentication_whitelist: whitelist(&config.authentication_whitelist),
                authorization_whitelist: whitelist(&config.authorization_whitelist),
                metadata: Metadata::new(config, cluster),
            })
        })
    }

    /// Admits the call `req`, or answers the status to refuse it with.
    pub async fn admit<T: Guarded>(&self, req: &Request<T>) -> Result<(), pb::Status> {
        self.check(req.metadata(), req.remote_addr(), T::RPC, || req.get_ref().needs()).await
    }

    /// Admits a call named `rpc` with `metadata` from `peer` needing `needs`.
    pub async fn check(
        &self,
        metadata: &MetadataMap,
        peer: Option<SocketAddr>,
        rpc: &str,
        needs: impl FnOnce() -> Needs,
    ) -> Result<(), pb::Status> {
        let signed = header::read(metadata);
        let user = signed.as_ref().ok().and_then(|s| s.username.clone());
        let checked = async {
            let signed = signed?;
            if self.authentication && !self.authentication_whitelist.iter().any(|w| w == rpc) {
                self.authenticate(&signed).await?;
            }
            if self.authorization && !self.authorization_whitelist.iter().any(|w| w == rpc) {
                let ip = peer.map(|p| p.ip().to_canonical().to_string()).unwrap_or_default();
                self.authorize(signed.username.as_deref(), &ip, needs()?).await?;
            }
            Ok::<_, Refusal>(())
        };
        checked.await.map_err(|refusal| {
            let peer = peer.map(|p| p.to_string()).unwrap_or_default();
            let user = user.as_deref().unwrap_or("-");
            match refusal {
                Refusal::Denied(reason) => {
                    tracing::warn!(%peer, user, rpc, %reason, "gRPC call refused by ACL 2.0");
                    status(Code::Unauthorized, reason)
                }
                Refusal::Failed(cause) => {
                    tracing::error!(%peer, user, rpc, %cause, "gRPC call not checked: ACL metadata unavailable");
                    status(Code::InternalServerError, cause)
                }
            }
        })
    }

    /// RocketMQ's `DefaultAuthenticationHandler` over the gRPC credential.
    async fn authenticate(&self, signed: &header::Signed) -> Result<(), Refusal> {
        let name = signed.username.as_deref().filter(|n| !n.is_empty()).ok_or("username cannot be null.")?;
        let user = self.metadata.user(name).await.map_err(Refusal::Failed)?;
        let user = user.ok_or_else(|| format!("User:{name} is not found."))?;
        if user.user_status == UserStatus::Disable {
            return Err(format!("User:{name} is disabled.").into());
        }
        let signature = signed.signature.as_deref().unwrap_or_default();
        if !rmq_acl::sign::verify_hex(&signed.content, &user.password, signature) {
            return Err("check signature failed.".into());
        }
        Ok(())
    }

    /// RocketMQ's `UserAuthorizationHandler` then `AclAuthorizationHandler`, per need.
    async fn authorize(
        &self,
        name: Option<&str>,
        ip: &str,
        needs: Vec<rmq_acl::v2::eval::Need>,
    ) -> Result<(), Refusal> {
        if needs.is_empty() {
            return Ok(());
        }
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err("Authorization failed. Please verify your access rights and try again.".into());
        };
        let user = self.metadata.user(name).await.map_err(Refusal::Failed)?;
        let user = user.ok_or_else(|| format!("User:{name} not found."))?;
        if user.user_type == UserType::Super {
            return Ok(());
        }
        let subject = subject_key(name);
        let acl = self.metadata.acl(&subject).await.map_err(Refusal::Failed)?;
        needs.iter().try_for_each(|need| authorize(acl.as_ref(), &subject, need, ip)).map_err(Refusal::Denied)
    }
}

/// An RPC answer that can carry a refusal's status.
pub trait Refused {
    /// The answer with `status` and nothing else.
    fn refused(status: pb::Status) -> Self;
}

macro_rules! refused {
    ($($ty:ident),*) => {$(
        impl Refused for pb::$ty {
            #[allow(clippy::needless_update)] // some answers have no field but the status
            fn refused(status: pb::Status) -> Self {
                Self { status: Some(status), ..Default::default() }
            }
        }
    )*};
}

refused!(
    QueryRouteResponse,
    HeartbeatResponse,
    SendMessageResponse,
    QueryAssignmentResponse,
    AckMessageResponse,
    ForwardMessageToDeadLetterQueueResponse,
    UpdateOffsetResponse,
    GetOffsetResponse,
    QueryOffsetResponse,
    EndTransactionResponse,
    NotifyClientTerminationResponse,
    ChangeInvisibleDurationResponse,
    RecallMessageResponse
);

/// The checks of one stream: its metadata and peer, kept to check each message it carries.
#[derive(Debug, Clone)]
pub struct StreamGuard {
    guard: Arc<Guard>,
    metadata: MetadataMap,
    peer: Option<SocketAddr>,
}

impl StreamGuard {
    /// The checks of the stream opened by `req`.
    #[must_use]
    pub fn new<T>(guard: Arc<Guard>, req: &Request<T>) -> Self {
        Self { guard, metadata: req.metadata().clone(), peer: req.remote_addr() }
    }

    /// Admits the stream itself (its credential; nothing is needed yet).
    pub async fn open<T: Guarded>(&self) -> Result<(), pb::Status> {
        self.guard.check(&self.metadata, self.peer, T::RPC, || Ok(Vec::new())).await
    }

    /// Admits one message of the stream.
    pub async fn admit<T: Guarded>(&self, message: &T) -> Result<(), pb::Status> {
        self.guard.check(&self.metadata, self.peer, T::RPC, || message.needs()).await
    }
}
