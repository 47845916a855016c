//! Panics of typed callbacks: kept per thread while C runs, then handed to
//! the Rust code that called into C.

thread_local! {
    /// Whether [`PANIC`] holds a payload: read after every typed call.
    pub(super) static CALLBACK_PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The first panic of a typed callback on this thread not yet handed to
    /// the Rust code that called into C.
    pub(super) static PANIC: std::cell::RefCell<Option<Box<dyn std::any::Any + Send>>> =
        const { std::cell::RefCell::new(None) };
}

/// The payload of a panic that a typed callback raised on this thread since
/// the last call of this function, if any. Calls through [`BoundFn`](super::BoundFn) and
/// [`TypedFn`](super::TypedFn) take it themselves right after C returns; until it is taken,
/// typed callbacks on this thread return zero without running, so that a
/// callback C calls many times (`qsort`'s comparator) panics once.
pub fn take_callback_panic() -> Option<Box<dyn std::any::Any + Send>> {
    if !CALLBACK_PANICKED.get() {
        return None;
    }
    CALLBACK_PANICKED.set(false);
    PANIC.with_borrow_mut(Option::take)
}

#[cold]
pub(super) fn resume_callback_panic() {
    if let Some(p) = take_callback_panic() {
        std::panic::resume_unwind(p);
    }
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}
