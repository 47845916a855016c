//! The examples run as part of the test suite, through their `run` functions.

#[allow(dead_code)]
#[path = "../examples/call.rs"]
mod call;
#[allow(dead_code)]
#[path = "../examples/libm.rs"]
mod libm;
#[allow(dead_code)]
#[path = "../examples/qsort.rs"]
mod qsort;

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
