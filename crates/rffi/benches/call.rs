//! The cost of one call of `double nop(double, double, double)` (testlib):
//! through the `rffi` facade (typed handle, prepared dynamic handle, dynamic
//! call by name) and through the baselines (a direct call of a Rust function
//! pointer, libffi with a CIF prepared once, libffi's high-level `call`,
//! which prepares one per call); and of `struct point point_add(struct
//! point, struct point)` through a typed handle with a `#[repr(C)]` struct,
//! directly, and through libffi's prepared CIF.
//!
//! The baselines need `unsafe`, which a bench target may use though the
//! library denies it. Run with `cargo bench -p rffi --bench call`; it needs
//! `cc` to build testlib.

use std::ffi::c_void;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use libffi::middle::{arg, Cif, CodePtr, Type};
use rffi::Value;

rffi::c_struct! {
    /// testlib's `struct point { int x, y; }`.
    struct Point { x: i32, y: i32 }
}

fn build_testlib() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libtestlib-bench.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(root.join("tests/c/testlib.c"))
        .arg("-lm")
        .status();
    match status {
        Ok(s) if s.success() => Some(lib),
        other => {
            eprintln!("skipped: cannot build testlib with cc ({other:?})");
            None
        }
    }
}

fn calls(c: &mut Criterion) {
    let Some(path) = build_testlib() else { return };
    let path = path.to_str().expect("a UTF-8 path");

    let ffi = rffi::Ffi::new();
    ffi.cdef(
        "double nop(double a, double b, double c);
         struct point { int x, y; };
         struct point point_add(struct point a, struct point b);",
    )
    .unwrap();
    // SAFETY: the declarations are testlib.h's.
    let lib = unsafe { ffi.dlopen(path) }.unwrap();
    let typed = lib.function::<(f64, f64, f64), f64>("nop").unwrap();
    let prepared = lib.prepare("nop").unwrap();

    // SAFETY: as above.
    let raw = unsafe { rffi_call::Library::open(Some(path), 0) }.unwrap();
    let addr: *mut c_void = raw.symbol("nop").unwrap();
    // SAFETY: testlib defines `double nop(double, double, double)`.
    let direct =
        unsafe { std::mem::transmute::<*mut c_void, extern "C" fn(f64, f64, f64) -> f64>(addr) };
    let cif = Cif::new(vec![Type::f64(), Type::f64(), Type::f64()], Type::f64());
    let code = CodePtr::from_ptr(addr);

    let mut group = c.benchmark_group("nop(double, double, double)");
    group.bench_function("direct fn pointer", |b| {
        b.iter(|| direct(black_box(1.0), black_box(2.0), black_box(3.0)))
    });
    group.bench_function("rffi typed handle", |b| {
        b.iter(|| typed.call((black_box(1.0), black_box(2.0), black_box(3.0))))
    });
    group.bench_function("libffi prepared CIF", |b| {
        b.iter(|| {
            let (x, y, z) = (black_box(1.0f64), black_box(2.0f64), black_box(3.0f64));
            // SAFETY: the CIF describes nop's type; the arguments are doubles.
            unsafe { cif.call::<f64>(code, &[arg(&x), arg(&y), arg(&z)]) }
        })
    });
    group.bench_function("libffi high-level call", |b| {
        b.iter(|| {
            let (x, y, z) = (black_box(1.0f64), black_box(2.0f64), black_box(3.0f64));
            // SAFETY: as above; libffi::high builds the CIF from the argument types.
            unsafe {
                libffi::high::call::<f64>(
                    code,
                    &[
                        libffi::high::arg(&x),
                        libffi::high::arg(&y),
                        libffi::high::arg(&z),
                    ],
                )
            }
        })
    });
    let args = [Value::F64(1.0), Value::F64(2.0), Value::F64(3.0)];
    group.bench_function("rffi prepared dynamic call", |b| {
        b.iter(|| prepared.call(black_box(&args)).unwrap())
    });
    group.bench_function("rffi dynamic call by name", |b| {
        b.iter(|| lib.call("nop", black_box(&args)).unwrap())
    });
    group.finish();

    let add = lib.function::<(Point, Point), Point>("point_add").unwrap();
    let add_addr: *mut c_void = raw.symbol("point_add").unwrap();
    // SAFETY: testlib defines `struct point point_add(struct point, struct point)`,
    // and Point is its #[repr(C)] twin.
    let add_direct = unsafe {
        std::mem::transmute::<*mut c_void, extern "C" fn(Point, Point) -> Point>(add_addr)
    };
    let point_t = || Type::structure(vec![Type::i32(), Type::i32()]);
    let add_cif = Cif::new(vec![point_t(), point_t()], point_t());
    let add_code = CodePtr::from_ptr(add_addr);
    let (p, q) = (Point { x: 1, y: 2 }, Point { x: 3, y: 4 });

    let mut group = c.benchmark_group("point_add(struct point, struct point)");
    group.bench_function("direct fn pointer", |b| {
        b.iter(|| add_direct(black_box(p), black_box(q)))
    });
    group.bench_function("rffi typed handle, #[repr(C)] struct", |b| {
        b.iter(|| add.call((black_box(p), black_box(q))))
    });
    group.bench_function("libffi prepared CIF", |b| {
        b.iter(|| {
            let (a, b) = (black_box(p), black_box(q));
            // SAFETY: the CIF describes point_add's type; the arguments are points.
            unsafe { add_cif.call::<Point>(add_code, &[arg(&a), arg(&b)]) }
        })
    });
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
