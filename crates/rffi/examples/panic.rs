//! A Rust callback that panics while C runs it: the panic stops at the
//! boundary (C sees 0), is printed once by the panic hook however often C
//! calls the callback, and the call returns it as an error.
//!
//! `cargo run -p rffi --example panic`

use std::ffi::c_void;

use rffi::{Error, Ffi};

/// Sorts `values` with a comparator that panics on a zero; the error says so.
pub fn sort_refusing_zero(values: &mut [i32]) -> Result<(), Error> {
    let ffi = Ffi::new();
    ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const void *, const void *));")?;
    // SAFETY: the process has libc loaded; qsort is declared as stdlib.h does.
    let libc = unsafe { ffi.dlopen_process() }?;
    let compare = ffi.callback(
        "int(*)(const void *, const void *)",
        |(a, b): (*const c_void, *const c_void)| {
            // The callback has raw pointers into memory it does not know;
            // reading them needs its own `unsafe` (or CData::at for memory of
            // rffi's, as the qsort example does).
            // SAFETY: qsort passes pointers to two ints of the array.
            let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
            if a == 0 || b == 0 {
                panic!("zero is not allowed");
            }
            a.cmp(&b) as i32
        },
    )?;
    let n = values.len() as u64;
    // SAFETY: qsort sorts the `n` ints of `values` and calls `compare` only
    // during the call.
    unsafe {
        libc.call_unchecked(
            "qsort",
            &[values.into(), n.into(), 4u64.into(), (&compare).into()],
        )
    }?;
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let mut values = [3, 1, 2];
    sort_refusing_zero(&mut values).unwrap();
    println!("{values:?}");
    match sort_refusing_zero(&mut [3, 0, 2]) {
        Err(Error::CallbackPanicked { message }) => println!("refused: {message}"),
        other => println!("unexpected: {other:?}"),
    }
}
