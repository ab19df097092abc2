//! The one place the GVL is released: run Rust work without it, catching any
//! panic so that it never unwinds into the Ruby VM.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

struct Call<F, R> {
    work: Option<F>,
    result: Option<std::thread::Result<R>>,
}

unsafe extern "C" fn trampoline<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Call` on `without_gvl`'s stack, alive for the
    // whole call; only this function touches it while the GVL is released.
    let call = unsafe { &mut *data.cast::<Call<F, R>>() };
    if let Some(work) = call.work.take() {
        call.result = Some(catch_unwind(AssertUnwindSafe(work)));
    }
    std::ptr::null_mut()
}

/// Run `work` with the GVL released. `work` must not touch Ruby objects.
/// `Err` carries a caught panic. Thread#kill and Ctrl-C wait for `work`
/// to finish, which the core bounds by `timeout_ms`.
pub fn without_gvl<F: FnOnce() -> R, R>(work: F) -> std::thread::Result<R> {
    let mut call = Call {
        work: Some(work),
        result: None,
    };
    // SAFETY: the trampoline matches the expected signature and `call`
    // outlives the blocking call; no unblocking function is needed because
    // the work ends by itself within the configured timeout.
    unsafe {
        rb_sys::rb_thread_call_without_gvl(
            Some(trampoline::<F, R>),
            (&mut call as *mut Call<F, R>).cast(),
            None,
            std::ptr::null_mut(),
        );
    }
    call.result
        .unwrap_or_else(|| Err(Box::new("the call did not run")))
}
