//! Calls through call plans into libc and libm: scalars, pointers, structs by
//! value, variadic functions, errno.

use rffi_call::{memory, CallPlan, Library, Scalar, Value};
use rffi_types::{CdefOptions, Symbol, TypeId, Types};

const DECLS: &str = "
    double cos(double);
    float sqrtf(float);
    long labs(long);
    unsigned long strlen(const char *);
    typedef struct { int quot; int rem; } div_t;
    div_t div(int, int);
    typedef struct { long quot; long rem; } ldiv_t;
    ldiv_t ldiv(long, long);
    int snprintf(char *, unsigned long, const char *, ...);
    double strtod(const char *, char **);
";

fn setup() -> (Types, Library) {
    let mut types = Types::new();
    types.cdef(DECLS, &CdefOptions::default()).unwrap();
    // SAFETY: libm's initialisers are sound.
    (
        types,
        unsafe { Library::open(Some("libm.so.6"), 0) }.unwrap(),
    )
}

fn function(types: &Types, name: &str) -> TypeId {
    match types.symbol(name) {
        Some(Symbol::Function(f)) => *f,
        other => panic!("{name}: {other:?}"),
    }
}

/// Calls `name` with `args` written as scalars; returns the result buffer.
fn call(
    types: &Types,
    lib: &Library,
    plan: &CallPlan,
    name: &str,
    args: &[(Scalar, Value)],
) -> Vec<u8> {
    // SAFETY: the process is already loaded.
    let libc = unsafe { Library::open(None, 0) }.unwrap();
    let f = lib.symbol(name).or_else(|_| libc.symbol(name)).unwrap();
    let mut frame = plan.frame();
    let mut result = plan.result_buffer();
    // SAFETY: every function is called with arguments of its declared types.
    unsafe {
        for (slot, (s, v)) in plan.args().iter().zip(args) {
            memory::write(frame.as_mut_ptr().add(slot.offset), *s, *v);
        }
        plan.call(f, &mut frame, &mut result);
        let size = types.size_of(plan.ret()).unwrap_or(0).max(8);
        memory::read_bytes(result.as_mut_ptr(), size)
    }
}

fn read(bytes: &[u8], s: Scalar) -> Value {
    // SAFETY: `bytes` holds at least one scalar of this kind.
    unsafe { memory::read(bytes.as_ptr(), s) }
}

#[test]
fn scalars_travel_both_ways() {
    let (types, lib) = setup();
    let plan = CallPlan::new(&types, function(&types, "cos")).unwrap();
    let out = call(
        &types,
        &lib,
        &plan,
        "cos",
        &[(Scalar::F64, Value::Float(0.0))],
    );
    assert_eq!(read(&out, Scalar::F64), Value::Float(1.0));

    let plan = CallPlan::new(&types, function(&types, "sqrtf")).unwrap();
    let out = call(
        &types,
        &lib,
        &plan,
        "sqrtf",
        &[(Scalar::F32, Value::Float(6.25))],
    );
    assert_eq!(read(&out, Scalar::F32), Value::Float(2.5));

    let long = Scalar::Int {
        size: 8,
        signed: true,
    };
    let plan = CallPlan::new(&types, function(&types, "labs")).unwrap();
    let out = call(&types, &lib, &plan, "labs", &[(long, Value::Int(-1 << 40))]);
    assert_eq!(read(&out, long), Value::Int(1 << 40));
}

#[test]
fn pointers_and_structs_by_value() {
    let (types, lib) = setup();
    let text = b"hello\0";
    let plan = CallPlan::new(&types, function(&types, "strlen")).unwrap();
    let out = call(
        &types,
        &lib,
        &plan,
        "strlen",
        &[(Scalar::Pointer, Value::Pointer(text.as_ptr() as usize))],
    );
    assert_eq!(
        read(
            &out,
            Scalar::Int {
                size: 8,
                signed: false
            }
        ),
        Value::Int(5)
    );

    let int = Scalar::Int {
        size: 4,
        signed: true,
    };
    let plan = CallPlan::new(&types, function(&types, "div")).unwrap();
    let out = call(
        &types,
        &lib,
        &plan,
        "div",
        &[(int, Value::Int(17)), (int, Value::Int(5))],
    );
    assert_eq!(
        (read(&out, int), read(&out[4..], int)),
        (Value::Int(3), Value::Int(2))
    );

    let long = Scalar::Int {
        size: 8,
        signed: true,
    };
    let plan = CallPlan::new(&types, function(&types, "ldiv")).unwrap();
    let out = call(
        &types,
        &lib,
        &plan,
        "ldiv",
        &[(long, Value::Int(-17)), (long, Value::Int(5))],
    );
    assert_eq!(
        (read(&out, long), read(&out[8..], long)),
        (Value::Int(-3), Value::Int(-2))
    );
}

#[test]
fn variadic_calls_get_a_plan_per_argument_list() {
    let (mut types, lib) = setup();
    let f = function(&types, "snprintf");
    let double = types.parse_type("double").unwrap();
    let int = types.parse_type("int").unwrap();
    let plan = CallPlan::variadic(&types, f, &[int, double]).unwrap();
    let mut buf = [0u8; 32];
    let fmt = b"%d|%.2f\0";
    let ulong = Scalar::Int {
        size: 8,
        signed: false,
    };
    let args = [
        (Scalar::Pointer, Value::Pointer(buf.as_mut_ptr() as usize)),
        (ulong, Value::Int(32)),
        (Scalar::Pointer, Value::Pointer(fmt.as_ptr() as usize)),
        (
            Scalar::Int {
                size: 4,
                signed: true,
            },
            Value::Int(42),
        ),
        (Scalar::F64, Value::Float(2.5)),
    ];
    let out = call(&types, &lib, &plan, "snprintf", &args);
    assert_eq!(
        read(
            &out,
            Scalar::Int {
                size: 4,
                signed: true
            }
        ),
        Value::Int(7)
    );
    assert_eq!(&buf[..8], b"42|2.50\0");
}

#[test]
fn errno_is_saved_after_the_call() {
    let (types, lib) = setup();
    let plan = CallPlan::new(&types, function(&types, "strtod")).unwrap();
    let huge = b"1e999\0";
    rffi_call::errno::set_saved(0);
    let out = call(
        &types,
        &lib,
        &plan,
        "strtod",
        &[
            (Scalar::Pointer, Value::Pointer(huge.as_ptr() as usize)),
            (Scalar::Pointer, Value::Pointer(0)),
        ],
    );
    assert_eq!(read(&out, Scalar::F64), Value::Float(f64::INFINITY));
    assert_eq!(rffi_call::errno::saved(), libc::ERANGE);
}

#[test]
fn opaque_structs_cannot_be_passed_by_value() {
    let mut types = Types::new();
    types
        .cdef(
            "struct ctx; void take(struct ctx);",
            &CdefOptions::default(),
        )
        .unwrap();
    let err = CallPlan::new(&types, function(&types, "take")).unwrap_err();
    assert!(
        err.to_string()
            .contains("'struct ctx' not supported as argument"),
        "{err}"
    );
}

/// The same functions through the direct register path and through libffi
/// give the same results.
#[test]
fn direct_calls_agree_with_libffi() {
    use rffi_call::{Regs, Returned};
    let (types, lib) = setup();
    // SAFETY: the process is already loaded.
    let libc = unsafe { Library::open(None, 0) }.unwrap();
    let cases: [(&str, Vec<(Scalar, Value)>); 4] = [
        ("cos", vec![(Scalar::F64, Value::Float(0.5))]),
        ("sqrtf", vec![(Scalar::F32, Value::Float(2.25))]),
        (
            "labs",
            vec![(
                Scalar::Int {
                    size: 8,
                    signed: true,
                },
                Value::Int(-77),
            )],
        ),
        ("div", vec![]),
    ];
    for (name, args) in cases {
        let plan = CallPlan::new(&types, function(&types, name)).unwrap();
        let Some(direct) = plan.direct() else {
            assert_eq!(
                name, "div",
                "only the struct-returning function needs libffi"
            );
            continue;
        };
        let via_libffi = call(&types, &lib, &plan, name, &args);
        let expected = read(&via_libffi, plan.ret_scalar().unwrap());
        let mut regs = Regs::default();
        for (r, (_, v)) in direct.args().iter().zip(&args) {
            match *v {
                Value::Float(x) => regs.set_float(*r, x),
                Value::Int(i) => regs.set_int(*r, i),
                _ => unreachable!(),
            }
        }
        let f = lib.symbol(name).or_else(|_| libc.symbol(name)).unwrap();
        // SAFETY: each function is called with its declared scalar arguments.
        let got = unsafe { direct.call(f, &regs) };
        match (got, expected) {
            (Returned::Float(a), Value::Float(b)) => assert_eq!(a, b, "{name}"),
            (Returned::Int(a), Value::Int(b)) => assert_eq!(a, b, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}
