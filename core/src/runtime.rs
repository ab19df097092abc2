//! Runtimes and pooled HTTP clients, created lazily and rebuilt in a child
//! after `fork()`.
//!
//! Two kinds, for two kinds of caller:
//! - A blocking caller (Python, Ruby and PHP release their lock and wait)
//!   drives a current-thread runtime of its own thread, with that thread's
//!   own pooled client: the request is written, awaited and read on the
//!   calling thread. Handing it to an I/O thread and back cost two thread
//!   wake-ups per validation, about half the time of a loopback call
//!   (docs/benchmarks.md has the profile).
//! - An async caller (Node's promises, Rust async code) spawns onto one
//!   process-wide runtime with its own I/O thread and pooled clients. The
//!   Redis connection lives there too, whoever calls: its background task
//!   must keep running between calls.
//!
//! A forked child inherits the parent's runtime structures but not its
//! threads, so using (or even dropping) them hangs. We remember the pid that
//! built them; when it differs, the inherited copy is leaked on purpose and a
//! fresh one is built.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
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

/// The pooled client for `key`: this thread's own while it drives its local
/// runtime ([`block_on`]), else the process-wide one.
pub(crate) fn client(key: &ClientKey) -> Result<reqwest::Client, String> {
    if DRIVING.get() {
        return local_client(key);
    }
    let mut guard = lock_shared();
    current(&mut guard).map_err(|e| format!("runtime: {e}"))?;
    let shared = guard.as_mut().ok_or("runtime missing")?;
    if let Some(client) = shared.clients.get(key) {
        return Ok(client.clone());
    }
    let client = build_client(key)?;
    shared.clients.insert(key.clone(), client.clone());
    Ok(client)
}

fn build_client(key: &ClientKey) -> Result<reqwest::Client, String> {
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
    builder.build().map_err(|e| format!("http client: {e}"))
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

/// A thread's own runtime and clients (for blocking callers), with the pid
/// that built them.
struct Local {
    pid: u32,
    runtime: Rc<tokio::runtime::Runtime>,
    clients: HashMap<ClientKey, reqwest::Client>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    /// Whether this thread is inside `block_on` of its local runtime.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// This thread's runtime, built (or rebuilt after a fork) when needed.
fn local_runtime() -> std::io::Result<Rc<tokio::runtime::Runtime>> {
    LOCAL.with(|cell| {
        let mut slot = cell.borrow_mut();
        let pid = std::process::id();
        if slot.as_ref().is_some_and(|local| local.pid != pid) {
            // Inherited through fork: its epoll and sockets are the parent's.
            if let Some(inherited) = slot.take() {
                std::mem::forget(inherited);
            }
        }
        if slot.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            *slot = Some(Local {
                pid,
                runtime: Rc::new(runtime),
                clients: HashMap::new(),
            });
        }
        match slot.as_ref() {
            Some(local) => Ok(local.runtime.clone()),
            None => Err(std::io::Error::other("runtime missing")),
        }
    })
}

fn local_client(key: &ClientKey) -> Result<reqwest::Client, String> {
    LOCAL.with(|cell| {
        let mut slot = cell.borrow_mut();
        let local = slot.as_mut().ok_or("runtime missing")?;
        if let Some(client) = local.clients.get(key) {
            return Ok(client.clone());
        }
        let client = build_client(key)?;
        local.clients.insert(key.clone(), client.clone());
        Ok(client)
    })
}

/// Run `future` to completion on this thread and return its output. Returns
/// `Err` with a message if it panicked.
///
/// On a plain thread the future runs on the thread's own runtime (no hop to
/// another thread). Inside an async context, or re-entered from the future
/// itself, it goes to the shared runtime and this thread waits.
pub(crate) fn block_on<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if DRIVING.get() || tokio::runtime::Handle::try_current().is_ok() {
        return block_on_shared(future);
    }
    let runtime = local_runtime().map_err(|e| format!("runtime: {e}"))?;
    DRIVING.set(true);
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(future)));
    DRIVING.set(false);
    result.map_err(|_| {
        // Whatever the panic left half-done stays with the old runtime.
        LOCAL.with(|cell| {
            if let Some(local) = cell.borrow_mut().take() {
                std::mem::forget(local);
            }
        });
        "validation task panicked".to_string()
    })
}

/// Run `future` on the shared runtime and wait for it from this thread.
fn block_on_shared<F>(future: F) -> Result<F::Output, String>
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

/// Await `future` on the shared runtime: directly when already there, else
/// spawned onto it (from a thread driving its local runtime). For work whose
/// background tasks must outlive the call, such as the Redis connection.
pub(crate) async fn on_shared<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if DRIVING.get() {
        spawn(future).await
    } else {
        Ok(future.await)
    }
}

/// Run `future` on the shared runtime and hand its output (or the message
/// of its panic) to `done` there, on the runtime's thread. For hosts with an
/// event loop of their own (Node): nothing waits, so no thread is woken but
/// the one the answer arrives on and the host's.
pub(crate) fn spawn_then<F, D>(future: F, done: D)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    D: FnOnce(Result<F::Output, String>) + Send + 'static,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return done(Err(format!("runtime: {e}"))),
    };
    runtime.spawn(async move {
        let output = CatchUnwind(std::pin::pin!(future)).await;
        done(output.map_err(|_| "validation task panicked".to_string()));
    });
}

/// A future's output, or its panic caught (as `JoinHandle` reports one).
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| std::pin::Pin::new(inner).poll(context)))
        {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
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
