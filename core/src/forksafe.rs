//! A mutex that a `fork()` cannot leave locked forever.
//!
//! A child process inherits every lock as it was at the fork, but only the
//! thread that forked. A lock that another thread (our I/O thread, say) held
//! at that moment stays locked in the child with nobody to release it, and
//! the child's first claim would wait forever. Each fork bumps a generation
//! counter (a `pthread_atfork` child handler); the first lock in a new
//! generation checks, under one fix-up lock, whether the mutex is held — in
//! the child that can only be by a thread that no longer exists — and then
//! unlocks it and leaks the value it guarded (it may be half-updated; never
//! read or drop it) in favour of a fresh default.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

pub(crate) use parking_lot::MutexGuard;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static FIXUP: parking_lot::Mutex<()> = parking_lot::const_mutex(());
static ATFORK: Once = Once::new();

extern "C" fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    if FIXUP.is_locked() {
        // SAFETY: the child runs only the forking thread, which was not in
        // a fix-up (fork is never called from inside one): the holder is gone.
        unsafe { FIXUP.force_unlock() };
    }
}

fn watch_forks() {
    ATFORK.call_once(|| {
        // SAFETY: registering a plain extern "C" fn with no arguments.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

pub(crate) struct ForkSafeMutex<T: Default> {
    /// The fork generation this mutex was last checked in.
    generation: AtomicU64,
    inner: parking_lot::Mutex<T>,
}

impl<T: Default> ForkSafeMutex<T> {
    pub const fn new(value: T) -> Self {
        ForkSafeMutex {
            generation: AtomicU64::new(0),
            inner: parking_lot::const_mutex(value),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        watch_forks();
        let now = GENERATION.load(Ordering::SeqCst);
        if self.generation.load(Ordering::SeqCst) != now {
            let _fixup = FIXUP.lock();
            if self.generation.load(Ordering::SeqCst) != now {
                // Every thread of this process that takes the lock passes
                // here first, so a held lock belongs to a thread that did not
                // survive the fork.
                if self.inner.is_locked() {
                    // SAFETY: its holder does not exist in this process.
                    unsafe { self.inner.force_unlock() };
                    let mut guard = self.inner.lock();
                    std::mem::forget(std::mem::take(&mut *guard));
                }
                self.generation.store(now, Ordering::SeqCst);
            }
        }
        self.inner.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_held_at_fork_is_free_in_the_child() {
        static HELD: ForkSafeMutex<Vec<u32>> = ForkSafeMutex::new(Vec::new());
        HELD.lock().push(1);
        // Another thread holds the lock while this one forks.
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let guard = HELD.lock();
            locked_tx.send(()).expect("send");
            let _ = release_rx.recv();
            drop(guard);
        });
        locked_rx.recv().expect("locked");
        // SAFETY: the child only locks, checks and exits; alarm() bounds a hang.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            unsafe { libc::alarm(10) };
            let fresh = HELD.lock().is_empty();
            unsafe { libc::_exit(if fresh { 0 } else { 1 }) };
        }
        release_tx.send(()).expect("release");
        holder.join().expect("holder");
        let mut status = 0;
        // SAFETY: waiting for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status}"
        );
        assert_eq!(*HELD.lock(), vec![1]);
    }
}
