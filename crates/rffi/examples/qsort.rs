//! Sorting C memory with libc's `qsort` and a Rust closure as comparator.
//!
//! `cargo run -p rffi --example qsort`

use std::cmp::Ordering;
use std::ffi::c_void;

use rffi::{Ffi, Value};

/// Sorts `values` as a C `int` array and returns them.
pub fn sort(values: &[i32]) -> Result<Vec<i32>, rffi::Error> {
    let ffi = Ffi::new();
    ffi.cdef("void qsort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *));")?;
    // SAFETY: the process has libc loaded; qsort is declared as stdlib.h does.
    let libc = unsafe { ffi.dlopen_process() }?;

    let items = ffi.alloc_array("int", values.len())?;
    for (i, v) in values.iter().enumerate() {
        items.index(i)?.set(*v)?;
    }
    // The comparator gets pointers into `items`; `at` turns them back into
    // checked views of the ints (a pointer outside `items` is an error).
    let view = items.clone();
    let compare = ffi.local_callback(
        "int(*)(const void *, const void *)",
        move |(a, b): (*const c_void, *const c_void)| {
            let read = |p| view.at(p, "int").and_then(|d| d.get());
            match (read(a), read(b)) {
                (Ok(a), Ok(b)) => a.as_int().cmp(&b.as_int()) as i32,
                _ => Ordering::Equal as i32,
            }
        },
    )?;
    let size = ffi.size_of("int")? as u64;
    // SAFETY: qsort reads and writes `values.len()` items of `size` bytes
    // from the start of `items`, which holds exactly that many, and calls
    // `compare` (alive until the end of this function) only during the call.
    unsafe {
        libc.call_unchecked(
            "qsort",
            &[
                (&items).into(),
                (values.len() as u64).into(),
                size.into(),
                (&compare).into(),
            ],
        )
    }?;
    (0..values.len())
        .map(|i| match items.index(i)?.get()? {
            Value::I32(v) => Ok(v),
            other => unreachable!("an int array holds ints, not {other:?}"),
        })
        .collect()
}

#[allow(dead_code)]
fn main() {
    match sort(&[5, 3, 9, -1, 0, 7]) {
        Ok(sorted) => println!("{sorted:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
