//! The two switches of the fast paths, read once from the environment, and
//! what the test suite asks to see that the fast paths are in use.
//!
//! - `RFFI_FORCE_LIBFFI=1`: every C call goes through libffi, not the
//!   direct register invoker.
//! - `RFFI_NO_FAST_PATHS=1`: every fast read, write, conversion and call
//!   path is off (member and item reads and writes, the call's argument and
//!   result conversions, callback conversions and reused arguments, the
//!   positional shortcut of `ffi.new` and `ffi.cast`): the general path
//!   does everything, so the test suite run this way checks it alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether C calls must go through libffi (`RFFI_FORCE_LIBFFI`).
pub fn force_libffi() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| env_flag("RFFI_FORCE_LIBFFI"))
}

/// Whether the fast paths are off: read from the environment once, by
/// [`read_environment`] at import, then a plain load on every hot path.
static NO_FAST_PATHS: AtomicBool = AtomicBool::new(false);

/// Reads the switches from the environment; the module runs it first, at
/// import.
pub fn read_environment() {
    NO_FAST_PATHS.store(env_flag("RFFI_NO_FAST_PATHS"), Ordering::Relaxed);
    force_libffi();
}

/// Whether the fast paths are on (`RFFI_NO_FAST_PATHS` unset).
#[inline(always)]
pub fn fast_paths() -> bool {
    !NO_FAST_PATHS.load(Ordering::Relaxed)
}
