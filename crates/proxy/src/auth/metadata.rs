//! Users and ACLs as a cluster-mode proxy reads them (RocketMQ 5.3's `ClusterMetadataService`):
//! AUTH_GET_USER / AUTH_GET_ACL to a broker of `rocketMQClusterName` (signed with the proxy's
//! `innerClientAuthenticationCredentials` like all its requests), cached per name. An entry
//! unused for `*CacheExpiredSecond` is dropped; one older than `*CacheRefreshSecond` is read
//! again, and kept while the broker cannot be reached (as a Guava cache whose refresh fails);
//! at most `*CacheMaxNum` entries are kept.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_acl::v2::convert::acl_from_info;
use rmq_acl::v2::model::{Acl, User};
use rmq_acl::v2::store::user_from_info;
use rmq_client::ClientInstance;
use rmq_remoting::body::{AclInfo, UserInfo};
use rmq_remoting::header::{AclRequestHeader, UserRequestHeader};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::config::ProxyConfig;

/// The users and ACLs of the cluster, cached.
#[derive(Debug)]
pub struct Metadata {
    cluster: Arc<ClientInstance>,
    cluster_name: String,
    next: AtomicUsize,
    users: Cache<User>,
    acls: Cache<Acl>,
}

impl Metadata {
    /// Reads through `cluster` with `config`'s cache bounds.
    #[must_use]
    pub fn new(config: &ProxyConfig, cluster: Arc<ClientInstance>) -> Self {
        let c = config;
        Self {
            cluster,
            cluster_name: c.rocketmq_cluster_name.clone(),
            next: AtomicUsize::new(0),
            users: Cache::new(c.user_cache_max_num, c.user_cache_expired_second, c.user_cache_refresh_second),
            acls: Cache::new(c.acl_cache_max_num, c.acl_cache_expired_second, c.acl_cache_refresh_second),
        }
    }

    /// The user `name`, `None` when the cluster has none.
    pub async fn user(&self, name: &str) -> Result<Option<User>, String> {
        self.users.get(name, || self.load_user(name)).await
    }

    /// The ACL of `subject` (`User:<name>`), `None` when it has none.
    pub async fn acl(&self, subject: &str) -> Result<Option<Acl>, String> {
        self.acls.get(subject, || self.load_acl(subject)).await
    }

    async fn load_user(&self, name: &str) -> Result<Option<User>, String> {
        let h = UserRequestHeader { username: Some(name.to_owned()) };
        let Some(body) = self.call(RemotingCommand::request_with_header(RequestCode::AuthGetUser, &h)).await? else {
            return Ok(None);
        };
        let info: UserInfo = rmq_remoting::body::decode(&body).map_err(|e| format!("AUTH_GET_USER answer: {e}"))?;
        Ok(user_from_info(&info))
    }

    async fn load_acl(&self, subject: &str) -> Result<Option<Acl>, String> {
        let h = AclRequestHeader { subject: Some(subject.to_owned()) };
        let Some(body) = self.call(RemotingCommand::request_with_header(RequestCode::AuthGetAcl, &h)).await? else {
            return Ok(None);
        };
        let info: AclInfo = rmq_remoting::body::decode(&body).map_err(|e| format!("AUTH_GET_ACL answer: {e}"))?;
        acl_from_info(&info, Some(subject)).map(Some)
    }

    /// Sends `req` to a broker of the cluster; the answer's body, `None` when empty.
    async fn call(&self, req: RemotingCommand) -> Result<Option<Vec<u8>>, String> {
        let addr = self.broker().await?;
        let resp = self.cluster.invoke_ok(&addr, req).await.map_err(|e| e.to_string())?;
        Ok((!resp.body.is_empty()).then(|| resp.body.to_vec()))
    }

    /// A master of `rocketMQClusterName` (its route, as the official proxy finds one), else any
    /// broker the proxy knows; taken in turn.
    async fn broker(&self) -> Result<String, String> {
        let mut addrs: Vec<String> = match self.cluster.update_route(&self.cluster_name).await {
            Ok(route) => route.broker_datas.iter().filter_map(|b| b.master_addr().map(str::to_owned)).collect(),
            Err(_) => Vec::new(),
        };
        if addrs.is_empty() {
            addrs = self.cluster.all_broker_addrs().into_iter().filter(|b| b.1 == 0).map(|b| b.2).collect();
        }
        if addrs.is_empty() {
            return Err(format!("no broker of cluster {} to read users and ACLs from", self.cluster_name));
        }
        Ok(addrs.swap_remove(self.next.fetch_add(1, Ordering::Relaxed) % addrs.len()))
    }
}

/// Values by name with access expiry and write refresh.
#[derive(Debug)]
struct Cache<V> {
    map: DashMap<String, Entry<V>>,
    max: usize,
    expire: Duration,
    refresh: Duration,
}

#[derive(Debug)]
struct Entry<V> {
    value: Option<V>,
    loaded: Instant,
    used: Instant,
}

impl<V: Clone> Cache<V> {
    fn new(max: usize, expire_s: u64, refresh_s: u64) -> Self {
        let (expire, refresh) = (Duration::from_secs(expire_s), Duration::from_secs(refresh_s));
        Self { map: DashMap::new(), max: max.max(1), expire, refresh }
    }

    /// The cached value of `key`, loaded with `load` when absent, expired or due for a refresh.
    async fn get<F, Fut>(&self, key: &str, load: F) -> Result<Option<V>, String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>, String>>,
    {
        let now = Instant::now();
        let stale = match self.map.get_mut(key) {
            Some(mut e) if now.duration_since(e.used) < self.expire => {
                e.used = now;
                if now.duration_since(e.loaded) < self.refresh {
                    return Ok(e.value.clone());
                }
                Some(e.value.clone())
            }
            _ => None,
        };
        match load().await {
            Ok(value) => {
                self.insert(key, value.clone(), now);
                Ok(value)
            }
            Err(cause) => match stale {
                Some(value) => {
                    tracing::warn!(key, %cause, "ACL metadata refresh failed, the cached entry is kept");
                    Ok(value)
                }
                None => Err(cause),
            },
        }
    }

    fn insert(&self, key: &str, value: Option<V>, now: Instant) {
        if self.map.len() >= self.max && !self.map.contains_key(key) {
            self.map.retain(|_, e| now.duration_since(e.used) < self.expire);
            let oldest = self.map.iter().min_by_key(|e| e.used).map(|e| e.key().clone());
            if let Some(k) = oldest.filter(|_| self.map.len() >= self.max) {
                self.map.remove(&k);
            }
        }
        self.map.insert(key.to_owned(), Entry { value, loaded: now, used: now });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_refresh_keep_on_failure_and_stay_bounded() {
        let cache: Cache<u32> = Cache::new(2, 600, 60);
        assert_eq!(cache.get("a", || async { Ok(Some(1)) }).await, Ok(Some(1)));
        assert_eq!(cache.get("a", || async { Ok(Some(2)) }).await, Ok(Some(1)), "fresh: not reloaded");
        assert_eq!(cache.get("x", || async { Ok(None) }).await, Ok(None));
        assert_eq!(cache.get("x", || async { Ok(Some(9)) }).await, Ok(None), "absence is cached too");
        cache.get("b", || async { Ok(Some(3)) }).await.unwrap();
        assert_eq!(cache.map.len(), 2, "bounded");
        let always: Cache<u32> = Cache::new(10, 600, 0);
        always.get("a", || async { Ok(Some(1)) }).await.unwrap();
        assert_eq!(always.get("a", || async { Ok(Some(2)) }).await, Ok(Some(2)), "refreshed");
        assert_eq!(always.get("a", || async { Err("down".into()) }).await, Ok(Some(2)), "kept on failure");
        assert_eq!(always.get("z", || async { Err("down".into()) }).await, Err("down".into()));
    }
}
