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

pub(crate) fn restore() {
    errno::set_errno(errno::Errno(saved()));
}

pub(crate) fn save() {
    set_saved(errno::errno().0);
}
