//! The one place that knows the target's primitive sizes, alignments and
//! signedness. Everything else asks here instead of writing `8` for a pointer.

use core::ffi::{c_char, c_int, c_long, c_longlong, c_short};
use std::mem::{align_of, size_of};

/// Size and alignment of a data pointer.
pub const POINTER: (usize, usize) = (size_of::<*const u8>(), align_of::<*const u8>());
pub const SHORT: (usize, usize) = (size_of::<c_short>(), align_of::<c_short>());
pub const INT: (usize, usize) = (size_of::<c_int>(), align_of::<c_int>());
pub const LONG: (usize, usize) = (size_of::<c_long>(), align_of::<c_long>());
pub const LONG_LONG: (usize, usize) = (size_of::<c_longlong>(), align_of::<c_longlong>());
pub const FLOAT: (usize, usize) = (size_of::<f32>(), align_of::<f32>());
pub const DOUBLE: (usize, usize) = (size_of::<f64>(), align_of::<f64>());

/// Whether plain `char` is signed (x86-64: yes, aarch64 Linux: no).
#[allow(clippy::absurd_extreme_comparisons, unused_comparisons)]
pub const CHAR_IS_SIGNED: bool = c_char::MIN < 0;

/// `long double`: 80-bit x87 in 16 bytes on x86-64, binary128 on aarch64 Linux.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub const LONG_DOUBLE: (usize, usize) = (16, 16);
#[cfg(target_arch = "x86")]
pub const LONG_DOUBLE: (usize, usize) = (12, 4);
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
pub const LONG_DOUBLE: (usize, usize) = DOUBLE;

/// `wchar_t`: 4 bytes everywhere but Windows; unsigned on aarch64.
#[cfg(windows)]
pub const WCHAR: (usize, usize, bool) = (2, 2, false);
#[cfg(all(not(windows), target_arch = "aarch64"))]
pub const WCHAR: (usize, usize, bool) = (4, 4, false);
#[cfg(all(not(windows), not(target_arch = "aarch64")))]
pub const WCHAR: (usize, usize, bool) = (4, 4, true);

/// glibc makes `int_fast16_t` and `int_fast32_t` as wide as `long`.
#[cfg(target_os = "linux")]
pub const FAST16: (usize, usize) = LONG;
#[cfg(target_os = "linux")]
pub const FAST32: (usize, usize) = LONG;
#[cfg(not(target_os = "linux"))]
pub const FAST16: (usize, usize) = SHORT;
#[cfg(not(target_os = "linux"))]
pub const FAST32: (usize, usize) = INT;

/// What `__attribute__((aligned))` without an argument means: the largest
/// alignment the target ever needs.
pub const MAX_ALIGN: usize = 16;

/// The largest object the target can hold, `PTRDIFF_MAX` bytes: GCC refuses a
/// larger type ("type is too large") and cffi counts sizes in `Py_ssize_t`.
pub const MAX_OBJECT_SIZE: usize = isize::MAX as usize;

/// The largest `__attribute__((aligned(N)))` GCC accepts on ELF targets.
pub const MAX_ALIGN_ATTRIBUTE: usize = 1 << 28;
