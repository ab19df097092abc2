//! The shared replay store on Redis (DESIGN §5): one `SET key <claim> NX PX
//! ttl` per claim, a compare-and-delete script on release (so a late release
//! never deletes another request's claim), over `redis://` or `rediss://` (TLS). The
//! connection is made lazily, reconnects by itself, is rebuilt after
//! `fork()`, and every call is bounded by a short timeout of its own so that
//! a dead Redis costs `store_unavailable`, not a hang.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::forksafe::ForkSafeMutex;
use crate::replay::{Claim, ReplayStore, StoreError, StoreFuture};
use crate::runtime;

/// Delete the key only while it still holds this claim's value.
const RELEASE_SCRIPT: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

pub struct RedisStore {
    prefix: String,
    link: Arc<Link>,
}

/// The connection to Redis. Its background task runs on the shared runtime
/// (see `runtime`), so every command is sent from there.
struct Link {
    client: redis::Client,
    timeout: Duration,
    /// The connection of this process (pid), made on first use.
    connection: ForkSafeMutex<Option<(u32, ConnectionManager)>>,
}

impl RedisStore {
    /// `extra_ca_pem` (the `ca_file` setting), when given, is the CA a
    /// `rediss://` server's certificate must chain to; without it the system
    /// trust store is used.
    pub fn new(
        url: &str,
        prefix: &str,
        timeout: Duration,
        extra_ca_pem: Option<&[u8]>,
    ) -> Result<Self, String> {
        let client = open_client(url, extra_ca_pem)?;
        Ok(RedisStore {
            prefix: prefix.to_string(),
            link: Arc::new(Link {
                client,
                timeout,
                connection: ForkSafeMutex::new(None),
            }),
        })
    }

    async fn run<T>(&self, command: redis::Cmd) -> Result<T, StoreError>
    where
        T: redis::FromRedisValue + Send + 'static,
    {
        let link = self.link.clone();
        runtime::on_shared(async move { link.run(command).await })
            .await
            .map_err(StoreError)?
    }

    fn key(&self, fingerprint: &str) -> String {
        format!("{}{fingerprint}", self.prefix)
    }
}

impl Link {
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let pid = std::process::id();
        {
            let guard = self.connection.lock();
            if let Some((owner, manager)) = guard.as_ref() {
                if *owner == pid {
                    return Ok(manager.clone());
                }
            }
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_with_config(self.client.clone(), config)
            .await
            .map_err(|e| StoreError(format!("connect failed ({:?})", e.kind())))?;
        let mut guard = self.connection.lock();
        if let Some((_, inherited)) = guard.take().filter(|(owner, _)| *owner != pid) {
            // Its tasks ran on the parent's runtime; never touch it here.
            std::mem::forget(inherited);
        }
        *guard = Some((pid, manager.clone()));
        Ok(manager)
    }

    /// One bound for the whole call, connecting included: a dead or slow
    /// Redis costs at most `timeout`.
    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, StoreError> {
        tokio::time::timeout(self.timeout, async {
            let mut connection = self.connection().await?;
            command
                .query_async::<T>(&mut connection)
                .await
                .map_err(|e| StoreError(format!("command failed ({:?})", e.kind())))
        })
        .await
        .map_err(|_| StoreError("timed out".into()))?
    }
}

/// A client for `redis://` or `rediss://` (TLS). The error never repeats the
/// URL: it may hold a password.
pub(crate) fn open_client(url: &str, extra_ca_pem: Option<&[u8]>) -> Result<redis::Client, String> {
    let unusable = |e: redis::RedisError| format!("not a usable redis URL ({:?})", e.kind());
    match extra_ca_pem {
        Some(pem) if url.starts_with("rediss://") => redis::Client::build_with_tls(
            url,
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.to_vec()),
            },
        )
        .map_err(unusable),
        _ => redis::Client::open(url).map_err(unusable),
    }
}

impl ReplayStore for RedisStore {
    fn claim<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, Option<Claim>> {
        Box::pin(async move {
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let claim = Claim::unique();
            let mut command = redis::cmd("SET");
            command
                .arg(self.key(fingerprint))
                .arg(format!("{:016x}", claim.0))
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms);
            let reply: Option<String> = self.run(command).await?;
            Ok(reply.map(|_| claim))
        })
    }

    fn release<'a>(&'a self, fingerprint: &'a str, claim: Claim) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut command = redis::cmd("EVAL");
            command
                .arg(RELEASE_SCRIPT)
                .arg(1)
                .arg(self.key(fingerprint))
                .arg(format!("{:016x}", claim.0));
            let _: i64 = self.run(command).await?;
            Ok(())
        })
    }

    fn label(&self) -> &'static str {
        "redis"
    }
}
