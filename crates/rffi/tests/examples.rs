//! The examples run as part of the test suite, through their `run` functions.

#[allow(dead_code)]
#[path = "../examples/call.rs"]
mod call;
#[allow(dead_code)]
#[path = "../examples/libm.rs"]
mod libm;
#[allow(dead_code)]
#[path = "../examples/panic.rs"]
mod panic;
#[allow(dead_code)]
#[path = "../examples/plugin.rs"]
mod plugin;
#[allow(dead_code)]
#[path = "../examples/qsort.rs"]
mod qsort;
#[allow(dead_code)]
#[path = "../examples/snprintf.rs"]
mod snprintf;
#[allow(dead_code)]
#[path = "../examples/zlib.rs"]
mod zlib;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn libm_example() {
    assert_eq!(
        libm::run().unwrap(),
        "sqrt(2) = 1.4142135623730951\ncos(pi) = -1"
    );
}

#[test]
fn qsort_example() {
    assert_eq!(
        qsort::sort(&[5, 3, 9, -1, 0, 7]).unwrap(),
        [-1, 0, 3, 5, 7, 9]
    );
    assert_eq!(qsort::sort(&[]).unwrap(), Vec::<i32>::new());
}

#[test]
fn call_example() {
    let out = call::run(&args(&["libm.so.6", "double cbrt(double);", "cbrt", "27"]));
    assert_eq!(out.unwrap(), "3");
    let out = call::run(&args(&[
        "-",
        "size_t strlen(const char *);",
        "strlen",
        "hello",
    ]));
    assert_eq!(out.unwrap(), "5");
    let out = call::run(&args(&[
        "m",
        "double pow(double, double);",
        "pow",
        "2",
        "0.5",
    ]));
    assert_eq!(out.unwrap(), "1.4142135623731");
    let err = call::run(&args(&["m", "double pow(double, double);", "pow", "2"])).unwrap_err();
    assert_eq!(err, "pow() takes 2 arguments, 1 given");
    assert!(call::run(&args(&["m"])).unwrap_err().starts_with("usage"));
}

#[test]
fn format_g15_matches_printf() {
    let cases = [
        (3.0000000000000004, "3"),
        (0.1 + 0.2, "0.3"),
        (1e20, "1e+20"),
        (123456789012345.0, "123456789012345"),
        (1234567890123456.0, "1.23456789012346e+15"),
        (0.0001, "0.0001"),
        (0.00001234, "1.234e-05"),
        (-2.5, "-2.5"),
        (0.0, "0"),
    ];
    for (x, want) in cases {
        assert_eq!(call::format_g15(x), want, "{x}");
    }
}

#[test]
fn plugin_example() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rffi-plugin-example-{}", std::process::id()));
    let library = match plugin::build(&dir) {
        Ok(lib) => lib,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    assert_eq!(
        plugin::run(&library).unwrap(),
        "add = Vec2 { x: 4.0, y: 6.0 }\nscale = Vec2 { x: 8.0, y: 12.0 }\ndot = 11\n\
         swap = Vec2 { x: 2.0, y: 1.0 }"
    );
    // The declared layout is checked: a Rust struct of floats is refused.
    rffi::c_struct! { struct Narrow { x: f32, y: f32 } }
    let ffi = rffi::Ffi::new();
    ffi.cdef(plugin::PLUGIN_H).unwrap();
    // SAFETY: PLUGIN_H is the plugin's header.
    let lib = unsafe { ffi.dlopen(&library) }.unwrap();
    let err = lib
        .function::<(Narrow, Narrow), Narrow>("vec2_add")
        .unwrap_err();
    assert!(matches!(err, rffi::Error::Signature { .. }), "{err}");
}

#[test]
fn snprintf_example() {
    assert_eq!(
        snprintf::format(c"the basket", 3, 2.5).unwrap(),
        "the basket has 3 items at 2.50"
    );
}

#[test]
fn panic_example() {
    let mut values = [3, 1, 2];
    panic::sort_refusing_zero(&mut values).unwrap();
    assert_eq!(values, [1, 2, 3]);
    assert_eq!(
        panic::sort_refusing_zero(&mut [3, 0, 2, 5, 4]),
        Err(rffi::Error::CallbackPanicked {
            message: "zero is not allowed".into()
        })
    );
}

#[test]
fn zlib_example() {
    let text = "zlib from Rust, zlib from Rust, zlib from Rust, zlib from Rust".repeat(8);
    let (version, packed, unpacked) = zlib::round_trip(text.as_bytes()).unwrap();
    assert!(version.starts_with("1."), "{version}");
    assert!(packed.len() < text.len() / 4, "{} bytes", packed.len());
    assert_eq!(unpacked, text.as_bytes());
}
