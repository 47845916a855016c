//! Calling `sqrt` and `cos` from libm: a typed handle and a dynamic call.
//!
//! `cargo run -p rffi --example libm`

use rffi::{Ffi, Value};

/// The lines the example prints.
pub fn run() -> Result<String, rffi::Error> {
    let ffi = Ffi::new();
    ffi.cdef("double sqrt(double); double cos(double);")?;
    // SAFETY: libm is sound to load, and both functions are declared as
    // math.h declares them.
    let libm = unsafe { ffi.dlopen("m") }?;

    // Checked once against `double sqrt(double)`, then called directly.
    let sqrt = libm.function::<(f64,), f64>("sqrt")?;
    let root = sqrt.call((2.0,));

    // Checked at every call, with values of any C type.
    let cos = libm.call("cos", &[Value::F64(std::f64::consts::PI)])?;

    Ok(format!("sqrt(2) = {root}\ncos(pi) = {cos}"))
}

#[allow(dead_code)]
fn main() {
    match run() {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
