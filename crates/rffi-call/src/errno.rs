//! `errno` as cffi presents it: saved right after each call into C and put
//! back right before the next one, per thread.

use std::cell::Cell;

thread_local! {
    static SAVED: Cell<i32> = const { Cell::new(0) };
}

/// The `errno` the last call on this thread left.
pub fn saved() -> i32 {
    SAVED.with(Cell::get)
}

/// Sets the value the next call on this thread starts with.
pub fn set_saved(value: i32) {
    SAVED.with(|s| s.set(value));
}

/// Runs `call` (a call into C) with the thread's saved `errno` put back
/// before it and the `errno` it leaves saved right after it. The saved
/// value is found once for both: in a shared library each thread-local
/// access is a call. A caller making many calls in a row (a numpy ufunc's
/// inner loop) may put them all inside one `around` and call with the
/// `*_keeping_errno` entries: C then sees `errno` carried from call to call.
#[inline]
pub fn around<R>(call: impl FnOnce() -> R) -> R {
    SAVED.with(|saved| {
        errno::set_errno(errno::Errno(saved.get()));
        let result = call();
        saved.set(errno::errno().0);
        result
    })
}
