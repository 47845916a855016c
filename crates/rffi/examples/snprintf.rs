//! libc's variadic `snprintf` into a Rust buffer: the fixed arguments are
//! checked against the declaration, the others promoted as C promotes them
//! (`f32` to `double`, `i8` to `int`).
//!
//! `cargo run -p rffi --example snprintf`

use std::ffi::CStr;

use rffi::{Ffi, Value};

/// `snprintf(buf, 64, "%s has %d items at %.2f", name, count, price)`.
pub fn format(name: &CStr, count: i8, price: f32) -> Result<String, rffi::Error> {
    let ffi = Ffi::new();
    ffi.cdef("int snprintf(char *str, size_t size, const char *format, ...);")?;
    // SAFETY: the process has libc loaded; snprintf is declared as stdio.h does.
    let libc = unsafe { ffi.dlopen_process() }?;
    let mut buf = [0u8; 64];
    // SAFETY: snprintf writes at most 64 bytes to `buf`; the format asks
    // for a string (`name`, NUL-terminated), an int and a double, which
    // follow in that order.
    let n = unsafe {
        libc.call_unchecked(
            "snprintf",
            &[
                (&mut buf[..]).into(),
                64u64.into(),
                c"%s has %d items at %.2f".into(),
                name.into(),
                count.into(),
                price.into(),
            ],
        )
    }?;
    let Value::I32(n) = n else {
        unreachable!("snprintf returns an int")
    };
    let text = CStr::from_bytes_until_nul(&buf).unwrap_or_default();
    assert_eq!(text.to_bytes().len(), n as usize);
    Ok(text.to_string_lossy().into_owned())
}

#[allow(dead_code)]
fn main() {
    match format(c"the basket", 3, 2.5) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
