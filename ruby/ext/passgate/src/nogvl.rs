//! The one place the GVL is released: wait for a core future without it,
//! so that other Ruby threads run, and let Ruby interrupts (Thread#raise,
//! Timeout, Thread#kill, Ctrl-C) stop the wait safely.
//!
//! Why not `rb_thread_call_without_gvl`: it checks interrupts itself after
//! the blocking function returns and raises from there, a longjmp across
//! our Rust frames (skipping their destructors). `rb_thread_call_without_gvl2`
//! returns instead; we then let Ruby run the pending interrupts inside
//! `rb_protect` (magnus' `thread_check_ints`) and hand any exception back as
//! an ordinary `Err`, which magnus raises at the method boundary once every
//! Rust value has been dropped.
//!
//! Why a future and not a blocking call: an interrupt should not have to wait
//! for the whole network timeout. The core runs each call as a task on its
//! own runtime; we only wait for that task here. The unblocking function
//! stops the wait, and dropping the future detaches the task, which finishes
//! (or times out) in the background and never touches a Ruby object.
//!
//! A core call that blocks instead (the doctor) runs on a thread of its own
//! and is waited for the same way (`blocking_without_gvl`).

use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use magnus::{Error, Ruby};

use crate::internal_error;

/// Wakes the Ruby thread parked in `wait` when the core's task is done.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Shared between `wait` (no GVL) and `unblock` (called by Ruby from
/// another thread); lives on `without_gvl`'s stack. Ruby calls `unblock`
/// only while the blocking region is active, so it never sees it dangle.
struct Waiter {
    interrupted: AtomicBool,
    thread: Thread,
}

struct Call<'a, F: Future> {
    future: Pin<&'a mut F>,
    waiter: &'a Waiter,
    /// `None`: not finished (interrupted, or never started because an
    /// interrupt was already pending). `Err`: a caught panic.
    result: Option<thread::Result<F::Output>>,
}

/// Polls the future until it is ready or Ruby asks us to stop.
unsafe extern "C" fn wait<F: Future>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Call` on `without_gvl`'s stack, alive for the
    // whole blocking region; only this function uses it meanwhile.
    let call = unsafe { &mut *data.cast::<Call<'_, F>>() };
    let waker = Waker::from(Arc::new(Unpark(call.waiter.thread.clone())));
    let mut context = Context::from_waker(&waker);
    while !call.waiter.interrupted.load(Ordering::Acquire) {
        match catch_unwind(AssertUnwindSafe(|| call.future.as_mut().poll(&mut context))) {
            Ok(Poll::Pending) => thread::park(),
            Ok(Poll::Ready(value)) => {
                call.result = Some(Ok(value));
                break;
            }
            Err(panic) => {
                call.result = Some(Err(panic));
                break;
            }
        }
    }
    std::ptr::null_mut()
}

/// Ruby's unblocking function: may run on any thread, with or without the
/// GVL, so it only flips a flag and unparks the waiting thread.
unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` is the `Waiter` on `without_gvl`'s stack (see `Waiter`).
    let waiter = unsafe { &*data.cast::<Waiter>() };
    waiter.interrupted.store(true, Ordering::Release);
    waiter.thread.unpark();
}

/// Wait for `future` with the GVL released. The future must not touch Ruby
/// objects. An interrupt that raises (Thread#raise, Timeout, Interrupt) or
/// kills the thread comes back as `Err` and the future is dropped; one that
/// does not (a signal trap that returns) resumes the wait. A panic becomes
/// `Passgate::InternalError`.
pub fn without_gvl<F: Future>(ruby: &Ruby, future: F) -> Result<F::Output, Error> {
    let mut future = pin!(future);
    let waiter = Waiter {
        interrupted: AtomicBool::new(false),
        thread: thread::current(),
    };
    loop {
        waiter.interrupted.store(false, Ordering::Release);
        let mut call = Call {
            future: future.as_mut(),
            waiter: &waiter,
            result: None,
        };
        // SAFETY: `wait` and `unblock` match the expected signatures, and
        // `call` and `waiter` outlive the call, after which Ruby no longer
        // calls `unblock`. The `2` variant returns on an interrupt instead of
        // raising through this frame.
        unsafe {
            rb_sys::rb_thread_call_without_gvl2(
                Some(wait::<F>),
                (&mut call as *mut Call<'_, F>).cast(),
                Some(unblock),
                (&waiter as *const Waiter).cast_mut().cast(),
            );
        }
        match call.result {
            Some(Ok(value)) => return Ok(value),
            Some(Err(_)) => return Err(internal_error(ruby, "a panic was caught")),
            // Runs the pending interrupts under rb_protect; an exception or a
            // kill comes back as Err and drops the future on the way out.
            None => ruby.thread_check_ints()?,
        }
    }
}

/// What a blocking call's thread leaves for the waiting future: the result
/// once it is done, and meanwhile the waker to call then.
struct Slot<T> {
    result: Option<thread::Result<T>>,
    waker: Option<Waker>,
}

/// Ready when the thread running the blocking call has filled the slot.
struct ThreadDone<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for ThreadDone<T> {
    type Output = thread::Result<T>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Run a blocking core call (`work` must not touch Ruby objects) on a thread
/// of its own and wait for it with the GVL released, as `without_gvl` does.
/// An interrupt ends the wait at once; the thread then finishes on its own
/// (the core bounds its work) and its result is dropped. A panic becomes
/// `Passgate::InternalError`.
pub fn blocking_without_gvl<T, W>(ruby: &Ruby, name: &str, work: W) -> Result<T, Error>
where
    T: Send + 'static,
    W: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let filled = Arc::clone(&slot);
    thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(work));
            let mut slot = filled.lock().unwrap_or_else(PoisonError::into_inner);
            slot.result = Some(result);
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        })
        .map_err(|e| internal_error(ruby, &format!("cannot start a thread: {e}")))?;
    match without_gvl(ruby, ThreadDone(slot))? {
        Ok(value) => Ok(value),
        Err(_) => Err(internal_error(ruby, "a panic was caught")),
    }
}
