//! A tiny C REPL: declare, open, call, print.
//!
//! ```text
//! cargo run -p rffi --example call -- LIBRARY DECLARATIONS FUNCTION [ARG...]
//! cargo run -p rffi --example call -- libm.so.6 "double cbrt(double);" cbrt 27
//! 3
//! ```
//!
//! Arguments that parse as integers are passed as integers, then those that
//! parse as floating point numbers as `double`s, and anything else as a C
//! string. `LIBRARY` may be `-` for the process itself (libc).
//!
//! The tool is `unsafe` by nature: whoever runs it vouches that the
//! declarations describe the library and that the arguments are what the
//! function expects, as a C programmer would.
//!
//! Floating results are printed as C's `%.15g` does: 15 significant digits,
//! which every `double` survives a decimal round trip to, so that the noise
//! of the last bit does not show: glibc's `cbrt(27)` is
//! `3.0000000000000004`, printed `3`.

use std::ffi::CString;

use rffi::{Arg, Ffi, Value};

/// `x` as C's `printf("%.15g", x)` prints it.
pub fn format_g15(x: f64) -> String {
    const DIGITS: i32 = 15;
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", (DIGITS - 1) as usize, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..DIGITS).contains(&exp) {
        format!(
            "{}e{}{:02}",
            trim(mantissa.to_string()),
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else {
        trim(format!("{:.*}", (DIGITS - 1 - exp) as usize, x))
    }
}

/// How the example prints a result.
pub fn show(v: &Value) -> String {
    match v {
        Value::F32(f) => format_g15(f64::from(*f)),
        Value::F64(f) | Value::LongDouble(f) => format_g15(*f),
        other => other.to_string(),
    }
}

/// Runs one call described by the command-line arguments (without the
/// program name) and returns what it prints.
pub fn run(args: &[String]) -> Result<String, String> {
    let [library, declarations, function, rest @ ..] = args else {
        return Err("usage: call LIBRARY DECLARATIONS FUNCTION [ARG...]".into());
    };
    let ffi = Ffi::new();
    ffi.cdef(declarations).map_err(|e| e.to_string())?;
    // SAFETY: the person running the tool vouches for the library and the
    // declarations they typed.
    let lib = unsafe {
        match library.as_str() {
            "-" => ffi.dlopen_process(),
            name => ffi.dlopen(name),
        }
    }
    .map_err(|e| e.to_string())?;
    // The strings are made first, so that the arguments can borrow them.
    let strings: Vec<Option<CString>> = rest
        .iter()
        .map(|text| {
            let number = text.parse::<i64>().is_ok() || text.parse::<f64>().is_ok();
            (!number).then(|| CString::new(text.as_str()).unwrap_or_default())
        })
        .collect();
    let args: Vec<Arg<'_>> = rest
        .iter()
        .zip(&strings)
        .map(
            |(text, string)| match (text.parse::<i64>(), text.parse::<f64>(), string) {
                (Ok(i), _, _) => i.into(),
                (_, Ok(f), _) => f.into(),
                (_, _, Some(s)) => s.as_c_str().into(),
                (_, _, None) => unreachable!("a string was made for every non-number"),
            },
        )
        .collect();
    // SAFETY: as above, for the arguments: strings are lent for the call.
    let result = unsafe { lib.call_unchecked(function, &args) }.map_err(|e| e.to_string())?;
    Ok(show(&result))
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
