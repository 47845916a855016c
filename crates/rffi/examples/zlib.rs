//! zlib's `compress` and `uncompress` with Rust slices, declared as zlib.h
//! declares them, and `zlibVersion()` read as a `&CStr`.
//!
//! `cargo run -p rffi --example zlib`

use std::ffi::CStr;

use rffi::{Ffi, Value};

/// zlib.h's own declarations (the part this example uses).
const ZLIB_H: &str = "
    typedef unsigned char Bytef;
    typedef unsigned long uLong;
    typedef uLong uLongf;
    #define Z_OK 0
    const char *zlibVersion(void);
    uLong compressBound(uLong sourceLen);
    int compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen);
    int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen);
";

/// zlib's version, `data` compressed, and the round trip's result.
pub fn round_trip(data: &[u8]) -> Result<(String, Vec<u8>, Vec<u8>), rffi::Error> {
    let ffi = Ffi::new();
    ffi.cdef(ZLIB_H)?;
    // SAFETY: libz is sound to load, and ZLIB_H is zlib.h's text.
    let zlib = unsafe { ffi.dlopen("z") }?;

    let zlib_version = zlib.function::<(), Option<&'static CStr>>("zlibVersion")?;
    // SAFETY: zlibVersion returns a string literal of the library, which
    // stays loaded (and the string valid) for the rest of the program as
    // `zlib_version` keeps it mapped and nothing unloads it here.
    let version = unsafe { zlib_version.call_unchecked(()) }
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();

    // No pointers: a safe typed call.
    let bound = zlib.function::<(u64,), u64>("compressBound")?;
    let mut packed = vec![0u8; bound.call((data.len() as u64,)) as usize];
    let mut packed_len = packed.len() as u64;
    let compress = zlib.function::<(*mut u8, *mut u64, *const u8, u64), i32>("compress")?;
    // SAFETY: compress writes at most `packed_len` bytes to `packed` (as long
    // as that) and the length to `packed_len`, and reads `data.len()` bytes.
    let status = unsafe {
        compress.call_unchecked((
            packed.as_mut_ptr(),
            &mut packed_len,
            data.as_ptr(),
            data.len() as u64,
        ))
    };
    assert_eq!(i128::from(status), ffi.constant("Z_OK")?);
    packed.truncate(packed_len as usize);

    // The same through a dynamic call, with the slices lent as arguments.
    let mut unpacked = vec![0u8; data.len()];
    let mut unpacked_len = unpacked.len() as u64;
    // SAFETY: uncompress writes at most `unpacked_len` bytes to `unpacked`
    // and reads `packed.len()` bytes of `packed`.
    let status = unsafe {
        zlib.call_unchecked(
            "uncompress",
            &[
                (&mut unpacked[..]).into(),
                (&mut unpacked_len).into(),
                (&packed[..]).into(),
                (packed.len() as u64).into(),
            ],
        )
    }?;
    assert_eq!(status, Value::I32(0));
    unpacked.truncate(unpacked_len as usize);
    Ok((version, packed, unpacked))
}

#[allow(dead_code)]
fn main() {
    let text = "a line of text, a line of text, a line of text, a line of text".repeat(4);
    match round_trip(text.as_bytes()) {
        Ok((version, packed, unpacked)) => {
            println!(
                "zlib {version}: {} bytes -> {} bytes",
                text.len(),
                packed.len()
            );
            assert_eq!(unpacked, text.as_bytes());
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
