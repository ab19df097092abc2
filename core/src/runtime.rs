//! One process-wide tokio runtime and pooled HTTP clients, created lazily
//! and rebuilt in a child after `fork()`.
//!
//! A forked child inherits the parent's runtime structures but not its
//! threads, so using (or even dropping) them hangs. We remember the pid that
//! built them; when it differs, the inherited copy is leaked on purpose and a
//! fresh one is built.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::forksafe::{ForkSafeMutex, MutexGuard};

/// What makes two clients different: extra CA and connect timeout. Almost
/// every process has exactly one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub extra_ca_pem: Option<Vec<u8>>,
    pub connect_timeout: Duration,
}

struct Shared {
    pid: u32,
    runtime: Arc<tokio::runtime::Runtime>,
    clients: HashMap<ClientKey, reqwest::Client>,
}

/// A lock held by another thread at a fork is freed in the child (see
/// `forksafe`); the pid check in `current` then replaces what was inherited.
static SHARED: ForkSafeMutex<Option<Shared>> = ForkSafeMutex::new(None);

fn lock_shared() -> MutexGuard<'static, Option<Shared>> {
    SHARED.lock()
}

/// One I/O thread: validation is waiting, not computing, and with a single
/// worker the pool's "connection is idle again" task always runs before the
/// next sequential call checks the pool out, so sequential calls reuse one
/// connection instead of racing a new connect against the pool.
fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("passgate-io")
        .enable_all()
        .build()
}

fn current(guard: &mut MutexGuard<'static, Option<Shared>>) -> std::io::Result<()> {
    let pid = std::process::id();
    if guard.as_ref().is_some_and(|shared| shared.pid != pid) {
        if let Some(inherited) = guard.take() {
            std::mem::forget(inherited);
        }
    }
    if guard.is_none() {
        **guard = Some(Shared {
            pid,
            runtime: Arc::new(build_runtime()?),
            clients: HashMap::new(),
        });
    }
    Ok(())
}

/// The runtime for this process.
pub(crate) fn runtime() -> std::io::Result<Arc<tokio::runtime::Runtime>> {
    let mut guard = lock_shared();
    current(&mut guard)?;
    match guard.as_ref() {
        Some(shared) => Ok(shared.runtime.clone()),
        None => Err(std::io::Error::other("runtime missing")),
    }
}

/// The pooled client for `key` in this process.
pub(crate) fn client(key: &ClientKey) -> Result<reqwest::Client, String> {
    let mut guard = lock_shared();
    current(&mut guard).map_err(|e| format!("runtime: {e}"))?;
    let shared = guard.as_mut().ok_or("runtime missing")?;
    if let Some(client) = shared.clients.get(key) {
        return Ok(client.clone());
    }
    let mut builder = reqwest::Client::builder()
        .connect_timeout(key.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .user_agent(concat!("passgate/", env!("CARGO_PKG_VERSION")))
        // A redirect would re-send the app secret to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        // No proxy from HTTP_PROXY/ALL_PROXY: a plain-HTTP call would hand
        // the secret to the proxy in cleartext. HTTPS goes through
        // HTTPS_PROXY (a CONNECT tunnel: the proxy sees only ciphertext).
        .no_proxy();
    if let Some(proxy) = https_proxy_from_env() {
        builder = builder.proxy(proxy);
    }
    if let Some(pem) = &key.extra_ca_pem {
        let certs =
            reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("ca_file: {e}"))?;
        builder = builder.tls_certs_merge(certs);
    }
    let client = builder.build().map_err(|e| format!("http client: {e}"))?;
    shared.clients.insert(key.clone(), client.clone());
    Ok(client)
}

/// `HTTPS_PROXY` (or `https_proxy`) for https:// URLs only, honouring
/// `NO_PROXY`. An unusable value is ignored rather than failing every call.
fn https_proxy_from_env() -> Option<reqwest::Proxy> {
    let url = ["HTTPS_PROXY", "https_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))?;
    let proxy = reqwest::Proxy::https(url.trim()).ok()?;
    Some(proxy.no_proxy(reqwest::NoProxy::from_env()))
}

/// Run `future` on the shared runtime and wait for it from a plain thread.
/// Returns `Err` with the panic message if the task panicked.
pub(crate) fn block_on<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = runtime().map_err(|e| format!("runtime: {e}"))?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = tx.send(future.await);
    });
    // The sender is dropped without sending only if the task panicked (or the
    // runtime went away): never hang on it.
    rx.recv()
        .map_err(|_| "validation task panicked".to_string())
}

/// Run `future` on the shared runtime and await it from any executor.
pub(crate) async fn spawn<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = runtime().map_err(|e| format!("runtime: {e}"))?;
    runtime.spawn(future).await.map_err(|e| {
        if e.is_panic() {
            "validation task panicked".to_string()
        } else {
            format!("validation task stopped: {e}")
        }
    })
}
