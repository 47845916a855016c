//! The facade against the project's C test library (tests/c/testlib.c):
//! every primitive type, pointers, structs by value, variadic calls,
//! callbacks, globals, errno and the error cases.

use std::ffi::c_void;

use rffi::{Arg, CData, Callback, Error, Ffi, Library, LocalCallback, Value};

mod support;

use support::{setup, testlib_path};

/// Calls through `call_unchecked`, for functions with pointers as for the
/// others: the tests pass pointers from [`addr`] to memory they keep alive
/// past the call, large enough for what testlib.c does with it.
fn call(lib: &Library, name: &str, args: &[Value]) -> Value {
    let args: Vec<Arg<'_>> = args.iter().cloned().map(Arg::from).collect();
    // SAFETY: as above; testlib's functions use their pointers as testlib.c
    // documents, and keep none past the call.
    unsafe { lib.call_unchecked(name, &args) }.unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The address of memory or code, as a raw pointer value.
trait Addr {
    fn addr(&self) -> Value;
}

impl Addr for CData {
    fn addr(&self) -> Value {
        Value::Pointer(self.as_ptr())
    }
}

impl Addr for Callback {
    fn addr(&self) -> Value {
        Value::Pointer(self.as_ptr().cast_mut())
    }
}

impl Addr for LocalCallback {
    fn addr(&self) -> Value {
        Value::Pointer(self.as_ptr().cast_mut())
    }
}

#[test]
fn every_primitive_type_round_trips() {
    let Some((_ffi, lib)) = setup() else { return };
    let cases: &[(&str, Value)] = &[
        ("id_schar", Value::I8(-128)),
        ("id_uchar", Value::U8(255)),
        ("id_short", Value::I16(-32768)),
        ("id_ushort", Value::U16(65535)),
        ("id_int", Value::I32(i32::MIN)),
        ("id_uint", Value::U32(u32::MAX)),
        ("id_long", Value::I64(i64::MIN)),
        ("id_ulong", Value::U64(u64::MAX)),
        ("id_longlong", Value::I64(i64::MAX)),
        ("id_ulonglong", Value::U64(u64::MAX)),
        ("id_float", Value::F32(1.5)),
        ("id_double", Value::F64(-2.25)),
        ("id_longdouble", Value::LongDouble(1e300)),
        ("id_bool", Value::Bool(true)),
        ("id_char16", Value::U16(0xffff)),
        ("id_char32", Value::U32(0x10ffff)),
        ("id_int8", Value::I8(-5)),
        ("id_uint8", Value::U8(200)),
        ("id_int16", Value::I16(-300)),
        ("id_uint16", Value::U16(60000)),
        ("id_int32", Value::I32(-70000)),
        ("id_uint32", Value::U32(4_000_000_000)),
        ("id_int64", Value::I64(-1 << 40)),
        ("id_uint64", Value::U64(1 << 63)),
        ("id_size", Value::U64(usize::MAX as u64)),
        ("id_ssize", Value::I64(-1)),
        ("id_intptr", Value::I64(-8)),
        ("id_uintptr", Value::U64(8)),
        ("id_ptrdiff", Value::I64(-16)),
        ("id_fcomplex", Value::Complex32(1.5, -2.0)),
        ("id_dcomplex", Value::Complex64(0.25, 8.0)),
    ];
    for (name, v) in cases {
        assert_eq!(&call(&lib, name, std::slice::from_ref(v)), v, "{name}");
    }
    let char_signed = call(&lib, "char_is_signed", &[]) == Value::I32(1);
    let c = if char_signed {
        Value::I8(-3)
    } else {
        Value::U8(253)
    };
    assert_eq!(call(&lib, "id_char", &[Value::I8(-3)]), c);
    assert!(matches!(
        call(&lib, "id_wchar", &[Value::I32(0x263a)]).as_int(),
        Some(0x263a)
    ));
}

#[test]
fn arithmetic_wraps_as_c_does() {
    let Some((_ffi, lib)) = setup() else { return };
    let add = |name, a: Value, b: Value| call(&lib, name, &[a, b]);
    assert_eq!(
        add("add_uchar", Value::U8(200), Value::U8(100)),
        Value::U8(44)
    );
    assert_eq!(
        add("add_int8", Value::I8(100), Value::I8(100)),
        Value::I8(-56)
    );
    assert_eq!(
        add("add_float", Value::F32(0.5), Value::F32(0.25)),
        Value::F32(0.75)
    );
    // Integers go to floating parameters as C converts them.
    assert_eq!(
        add("add_double", Value::I32(1), Value::F64(0.5)),
        Value::F64(1.5)
    );
    assert_eq!(
        add("add_longdouble", Value::F64(1.0), Value::F64(2.0)),
        Value::LongDouble(3.0)
    );
    assert_eq!(
        call(&lib, "not_bool", &[Value::Bool(false)]),
        Value::Bool(true)
    );
    assert_eq!(
        add(
            "mul_dcomplex",
            Value::Complex64(0.0, 1.0),
            Value::Complex64(0.0, 1.0)
        ),
        Value::Complex64(-1.0, 0.0)
    );
}

#[test]
fn typed_handles_cover_every_scalar_kind() {
    let Some((_ffi, lib)) = setup() else { return };
    assert_eq!(
        lib.function::<(i8, i8), i8>("add_schar")
            .unwrap()
            .call((100, 27)),
        127
    );
    assert_eq!(
        lib.function::<(u16, u16), u16>("add_ushort")
            .unwrap()
            .call((65535, 2)),
        1
    );
    assert_eq!(
        lib.function::<(i32, i32), i32>("add").unwrap().call((2, 3)),
        5
    );
    assert_eq!(
        lib.function::<(u64, u64), u64>("add_size")
            .unwrap()
            .call((1, 2)),
        3
    );
    assert_eq!(
        lib.function::<(usize, usize), usize>("add_size")
            .unwrap()
            .call((1, 2)),
        3
    );
    assert_eq!(
        lib.function::<(f32, f32), f32>("add_float")
            .unwrap()
            .call((1.0, 2.0)),
        3.0
    );
    assert!(!lib
        .function::<(bool,), bool>("not_bool")
        .unwrap()
        .call((true,)));
    assert_eq!(
        lib.function::<(f64, f64, f64), f64>("nop")
            .unwrap()
            .call((1.0, 2.0, 3.0)),
        1.0
    );
    let noargs = lib.function::<(), ()>("noargs").unwrap();
    let calls = lib.function::<(), i32>("noargs_calls").unwrap();
    let before = calls.call(());
    noargs.call(());
    assert_eq!(calls.call(()), before + 1);
    let many = lib
        .function::<(i32, i32, i32, i32, i32, i32, i32, i32), i64>("many_ints")
        .unwrap();
    assert_eq!(many.call((1, 1, 1, 1, 1, 1, 1, 1)), 36);
    let is_null = lib.function::<(*const c_void,), i32>("is_null").unwrap();
    // SAFETY: is_null only compares its argument with NULL.
    assert_eq!(unsafe { is_null.call_unchecked((std::ptr::null(),)) }, 1);
    // An enum travels as its integer type.
    let next = lib.function::<(i32,), i32>("next_color").unwrap();
    assert_eq!(next.call((0,)), 5);
}

#[test]
fn pointers_to_owned_memory() {
    let Some((ffi, lib)) = setup() else { return };
    let q = ffi.alloc("int").unwrap();
    let r = ffi.alloc("int").unwrap();
    call(
        &lib,
        "divmod",
        &[Value::I32(17), Value::I32(5), q.addr(), r.addr()],
    );
    assert_eq!(
        (q.get().unwrap(), r.get().unwrap()),
        (Value::I32(3), Value::I32(2))
    );

    let values = ffi.alloc_array("int", 4).unwrap();
    for i in 0..4 {
        values.index(i).unwrap().set(i as i32 * 10).unwrap();
    }
    assert_eq!(
        call(&lib, "sum_ints", &[values.addr(), Value::I32(4)]),
        Value::I32(60)
    );

    let doubles = ffi.alloc_array("double", 3).unwrap();
    call(
        &lib,
        "fill_doubles",
        &[
            doubles.addr(),
            Value::I32(3),
            Value::F64(1.0),
            Value::F64(0.5),
        ],
    );
    assert_eq!(doubles.index(2).unwrap().get().unwrap(), Value::F64(2.0));
    assert_eq!(
        call(&lib, "sum_doubles", &[doubles.addr(), Value::U64(3)]),
        Value::F64(4.5)
    );

    let text = ffi.alloc_string("Hello").unwrap();
    assert_eq!(call(&lib, "my_strlen", &[text.addr()]), Value::U64(5));
    call(&lib, "to_upper", &[text.addr()]);
    assert_eq!(text.to_bytes().unwrap(), b"HELLO\0");
    assert_eq!(
        call(&lib, "count_char", &[text.addr(), Value::I8(b'L' as i8)]),
        Value::I32(2)
    );

    // A pointer returned by C is a value: compare it, pass it back.
    let p = call(&lib, "static_int_ptr", &[]);
    let out = ffi.alloc("int *").unwrap();
    call(&lib, "get_static_int_ptr", &[out.addr()]);
    assert_eq!(out.get().unwrap(), p);
    assert_eq!(
        call(&lib, "is_null", &[Value::Pointer(std::ptr::null_mut())]),
        Value::I32(1)
    );
    assert_eq!(call(&lib, "is_null", &[p]), Value::I32(0));
}

#[test]
fn structs_by_value_and_in_memory() {
    let Some((ffi, lib)) = setup() else { return };
    let point = call(&lib, "make_point", &[Value::I32(3), Value::I32(4)]);
    assert_eq!(point.as_struct().unwrap().bytes(), [3, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(
        call(&lib, "point_sum", std::slice::from_ref(&point)),
        Value::I32(7)
    );
    let doubled = call(&lib, "point_add", &[point.clone(), point.clone()]);
    let cell = ffi.alloc("point_t").unwrap();
    cell.set(doubled).unwrap();
    assert_eq!(cell.field("y").unwrap().get().unwrap(), Value::I32(8));
    call(
        &lib,
        "point_translate",
        &[cell.addr(), Value::I32(1), Value::I32(-1)],
    );
    assert_eq!(cell.field("x").unwrap().get().unwrap(), Value::I32(7));

    let mixed = call(&lib, "make_mixed", &[Value::I8(2), Value::F64(0.5)]);
    assert_eq!(call(&lib, "mixed_sum", &[mixed]), Value::F64(2.5));
    let f2 = call(&lib, "make_floats2", &[Value::F32(1.0), Value::F32(2.0)]);
    assert_eq!(
        call(&lib, "floats2_dot", &[f2.clone(), f2]),
        Value::F32(5.0)
    );
    let big = call(
        &lib,
        "make_big",
        &[Value::I64(1), Value::I64(2), Value::I64(3), Value::F64(0.5)],
    );
    let scaled = call(&lib, "big_scale", &[big, Value::I32(2)]);
    assert_eq!(call(&lib, "big_sum", &[scaled]), Value::F64(13.0));
    let wa = call(&lib, "make_with_array", &[Value::I32(1)]);
    assert_eq!(
        call(&lib, "with_array_sum", &[wa]),
        Value::I32(1 + 2 + 3 + 4)
    );
    let c3 = call(
        &lib,
        "make_chars3",
        &[Value::I8(1), Value::I8(2), Value::I8(3)],
    );
    assert_eq!(call(&lib, "chars3_sum", &[c3]), Value::I32(6));

    let rect = ffi.alloc("struct rect").unwrap();
    rect.field("max")
        .unwrap()
        .field("x")
        .unwrap()
        .set(4)
        .unwrap();
    rect.field("max")
        .unwrap()
        .field("y")
        .unwrap()
        .set(5)
        .unwrap();
    assert_eq!(call(&lib, "rect_area_ptr", &[rect.addr()]), Value::I32(20));
    assert_eq!(
        call(&lib, "rect_area", &[rect.get().unwrap()]),
        Value::I32(20)
    );
    let nested = call(
        &lib,
        "make_nested",
        &[
            Value::I32(1),
            Value::I32(2),
            Value::I8(3),
            Value::F64(4.5),
            Value::I16(5),
        ],
    );
    assert_eq!(call(&lib, "nested_sum", &[nested]), Value::F64(15.5));

    // Bitfields read and write in place; C sees them.
    let flags = ffi.alloc("struct flags").unwrap();
    flags.field("a").unwrap().set(1).unwrap();
    flags.field("b").unwrap().set(5).unwrap();
    flags.field("c").unwrap().set(-2).unwrap();
    flags.field("d").unwrap().set(1000).unwrap();
    let packed = 1 | 5 << 1 | (-2 & 0xf) << 4 | 1000 << 8;
    assert_eq!(
        call(&lib, "flags_pack", &[flags.addr()]),
        Value::I32(packed)
    );
    call(
        &lib,
        "flags_set",
        &[
            flags.addr(),
            Value::U32(0),
            Value::U32(7),
            Value::I32(-8),
            Value::U32(3),
        ],
    );
    assert_eq!(flags.field("c").unwrap().get().unwrap(), Value::I32(-8));
    assert!(matches!(
        flags.field("b").unwrap().set(8),
        Err(Error::Overflow { .. })
    ));

    // An opaque pointer round trip.
    let counter = call(&lib, "counter_new", &[Value::I32(5)]);
    assert_eq!(
        call(&lib, "counter_next", std::slice::from_ref(&counter)),
        Value::I32(5)
    );
    assert_eq!(
        call(&lib, "counter_next", std::slice::from_ref(&counter)),
        Value::I32(6)
    );
    call(&lib, "counter_free", &[counter]);
}

#[test]
fn variadic_calls_promote_their_extra_arguments() {
    let Some((ffi, lib)) = setup() else { return };
    let ints = [Value::I32(3), Value::I32(1), Value::I16(2), Value::I8(3)];
    assert_eq!(call(&lib, "sum_var", &ints), Value::I32(6));
    let doubles = [Value::I32(2), Value::F32(0.5), Value::F64(0.25)];
    assert_eq!(call(&lib, "sum_var_d", &doubles), Value::F64(0.75));
    let spec = ffi.alloc_string("ild").unwrap();
    let mixed = [
        spec.addr(),
        Value::I32(1),
        Value::I64(1 << 40),
        Value::F64(2.9),
    ];
    assert_eq!(
        call(&lib, "sum_var_mixed", &mixed),
        Value::I64(3 + (1 << 40))
    );
    let buf = ffi.alloc_array("char", 16).unwrap();
    let fmt = ffi.alloc_string("%s=%d").unwrap();
    let key = ffi.alloc_string("n").unwrap();
    let n = call(
        &lib,
        "format_into",
        &[
            buf.addr(),
            Value::U64(16),
            fmt.addr(),
            key.addr(),
            Value::I32(4),
        ],
    );
    assert_eq!(n, Value::I32(3));
    assert_eq!(&buf.to_bytes().unwrap()[..4], b"n=4\0");
    // The fixed part is still checked.
    assert!(matches!(
        lib.call("sum_var", &[]),
        Err(Error::ArgumentCount {
            expected: 1,
            got: 0,
            ..
        })
    ));
    // Typed handles refuse variadic functions: their calling convention differs.
    assert!(matches!(
        lib.function::<(i32, i32), i32>("sum_var"),
        Err(Error::Signature { .. })
    ));
}

#[test]
fn rust_closures_as_callbacks() {
    let Some((ffi, lib)) = setup() else { return };
    let square = ffi.callback("int(*)(int)", |(x,): (i32,)| x * x).unwrap();
    assert_eq!(
        call(&lib, "apply", &[square.addr(), Value::I32(7)]),
        Value::I32(49)
    );
    assert_eq!(
        call(
            &lib,
            "apply_n",
            &[square.addr(), Value::I32(2), Value::I32(3)]
        ),
        Value::I32(256)
    );
    let apply = lib.function::<(*const c_void, i32), i32>("apply").unwrap();
    // SAFETY: `square` is an int(*)(int) that outlives the call.
    assert_eq!(unsafe { apply.call_unchecked((square.as_ptr(), 3)) }, 9);

    let half = ffi
        .callback("double(double)", |(x,): (f64,)| x / 2.0)
        .unwrap();
    assert_eq!(
        call(&lib, "apply_double", &[half.addr(), Value::F64(3.0)]),
        Value::F64(1.5)
    );

    let max = ffi
        .callback("int(*)(int, int)", |(a, b): (i32, i32)| a.max(b))
        .unwrap();
    let values = ffi.alloc_array("int", 3).unwrap();
    for (i, v) in [4, 9, 2].into_iter().enumerate() {
        values.index(i).unwrap().set(v).unwrap();
    }
    let folded = call(
        &lib,
        "fold_ints",
        &[values.addr(), Value::I32(3), max.addr(), Value::I32(0)],
    );
    assert_eq!(folded, Value::I32(9));

    let view = values.clone();
    let descending = ffi
        .local_callback(
            "int(*)(const void *, const void *)",
            move |(a, b): (*const c_void, *const c_void)| {
                let get = |p| view.at(p, "int").unwrap().get().unwrap().as_int();
                get(b).cmp(&get(a)) as i32
            },
        )
        .unwrap();
    call(
        &lib,
        "sort_ints",
        &[values.addr(), Value::U64(3), descending.addr()],
    );
    let sorted: Vec<_> = (0..3)
        .map(|i| values.index(i).unwrap().get().unwrap())
        .collect();
    assert_eq!(sorted, [Value::I32(9), Value::I32(4), Value::I32(2)]);

    let seen = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    let seen2 = seen.clone();
    let record = ffi
        .callback("void(*)(void *, int)", move |(_, x): (*mut c_void, i32)| {
            seen2.store(x, std::sync::atomic::Ordering::SeqCst)
        })
        .unwrap();
    call(
        &lib,
        "call_with_userdata",
        &[
            record.addr(),
            Value::Pointer(std::ptr::null_mut()),
            Value::I32(11),
        ],
    );
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 11);

    type Many = (i32, f64, i8, f32, i64);
    let many = ffi
        .callback(
            "double(*)(int, double, char, float, long long)",
            |(a, b, c, d, e): Many| a as f64 + b + c as f64 + d as f64 + e as f64 / 1e12,
        )
        .unwrap();
    assert_eq!(
        call(&lib, "apply_many", &[many.addr(), Value::I32(2)]),
        Value::F64(2.0 + 1.0 + 2.0 + 0.5 + 2.0)
    );

    // A panic stops at the boundary: C sees 0, the caller gets an error.
    let boom = ffi
        .callback("int(*)(int)", |(_,): (i32,)| -> i32 { panic!("boom") })
        .unwrap();
    // SAFETY: `boom` is an int(*)(int) that outlives the call.
    let err = unsafe { lib.call_unchecked("apply", &[(&boom).into(), 1.into()]) }.unwrap_err();
    assert_eq!(
        err,
        Error::CallbackPanicked {
            message: "boom".into()
        }
    );
    assert_eq!(err.to_string(), "a callback panicked: boom");
    // The next call is not affected.
    assert_eq!(
        call(&lib, "apply", &[square.addr(), Value::I32(1)]),
        Value::I32(1)
    );
}

#[test]
fn globals_are_read_and_written_in_place() {
    let Some((ffi, lib)) = setup() else { return };
    let counter = lib.global("counter").unwrap();
    counter.set(41).unwrap();
    assert_eq!(call(&lib, "bump_counter", &[]), Value::I32(42));
    assert_eq!(counter.get().unwrap(), Value::I32(42));

    let gains = lib.global("gains").unwrap();
    assert_eq!(gains.array_len(), Some(4));
    assert_eq!(gains.index(3).unwrap().get().unwrap(), Value::F64(2.0));
    gains.index(0).unwrap().set(10.0).unwrap();
    assert_eq!(call(&lib, "gains_sum", &[]), Value::F64(14.5));
    assert!(matches!(gains.index(4), Err(Error::Index { index: 4, .. })));

    let origin = lib.global("origin_point").unwrap();
    origin.field("x").unwrap().set(10).unwrap();
    assert_eq!(call(&lib, "origin_sum", &[]), Value::I32(14));

    // A function pointer: writable only through the unsafe global_unchecked.
    assert!(matches!(
        lib.global("binop").unwrap().set(original_binop(&lib)),
        Err(Error::ReadOnly { .. })
    ));
    // SAFETY: only int(*)(int, int) callbacks that outlive their use, and
    // the original value, are written to binop.
    let binop = unsafe { lib.global_unchecked("binop") }.unwrap();
    let original = binop.get().unwrap();
    let mul = ffi
        .callback("int(*)(int, int)", |(a, b): (i32, i32)| a * b)
        .unwrap();
    binop.set(mul.as_ptr().cast_mut()).unwrap();
    assert_eq!(
        call(&lib, "call_binop", &[Value::I32(6), Value::I32(7)]),
        Value::I32(42)
    );
    binop.set(original).unwrap();
    assert_eq!(
        call(&lib, "call_binop", &[Value::I32(6), Value::I32(7)]),
        Value::I32(13)
    );

    let answer = lib.global("answer").unwrap();
    assert_eq!(answer.get().unwrap(), Value::I32(42));
    let err = answer.set(1).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert!(lib
        .global("greeting_ptr")
        .unwrap()
        .get()
        .unwrap()
        .as_ptr()
        .is_some());
}

fn original_binop(lib: &Library) -> Value {
    lib.global("binop").unwrap().get().unwrap()
}

#[test]
fn errno_is_saved_after_dynamic_calls() {
    let Some((_ffi, lib)) = setup() else { return };
    call(&lib, "set_errno", &[Value::I32(5)]);
    assert_eq!(rffi::errno(), 5);
    assert_eq!(
        call(&lib, "checked_div", &[Value::I32(1), Value::I32(0)]),
        Value::I32(0)
    );
    assert_eq!(rffi::errno(), 33);
}

#[test]
fn mistakes_are_errors_that_say_what_and_where() {
    let Some((ffi, lib)) = setup() else { return };
    let msg = |e: Error| e.to_string();

    let err = ffi
        .cdef("int ok(int);\n  int bad(unknown_t x);")
        .unwrap_err();
    assert!(matches!(err, Error::Declaration { .. }));
    assert!(msg(err).contains("line 2"));

    assert_eq!(
        msg(lib.call("add", &[Value::I32(1)]).unwrap_err()),
        "add() takes 2 arguments, 1 given"
    );
    assert_eq!(
        msg(lib
            .call("add", &[Value::I32(1), Value::F64(2.0)])
            .unwrap_err()),
        "argument 2 of add(): expected a value for 'int', got F64(2.0)"
    );
    assert_eq!(
        msg(lib.call("id_uchar", &[Value::I32(256)]).unwrap_err()),
        "argument 1 of id_uchar(): 256 does not fit in 'unsigned char'"
    );
    let point = call(&lib, "make_point", &[Value::I32(1), Value::I32(2)]);
    assert!(matches!(
        lib.call("mixed_sum", &[point]),
        Err(Error::WrongType { .. })
    ));
    assert_eq!(
        msg(lib.function::<(f64,), i32>("id_int").unwrap_err()),
        "'id_int': the Rust signature fn(f64) -> i32 does not match the C declaration int id_int(int x)"
    );
    assert!(matches!(
        lib.function::<(u32,), u32>("id_int"),
        Err(Error::Signature { .. })
    ));
    assert!(matches!(
        lib.function::<(u8,), u8>("id_bool"),
        Err(Error::Signature { .. })
    ));
    assert!(matches!(
        ffi.callback("int(*)(int)", |(x,): (u32,)| x),
        Err(Error::Signature { .. })
    ));
    assert!(matches!(
        ffi.callback("int", |(): ()| 0i32),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(
        msg(lib.call("nosuch", &[]).unwrap_err()),
        "'nosuch' is not declared as a function"
    );
    ffi.cdef("int declared_but_missing(void);").unwrap();
    let err = lib.call("declared_but_missing", &[]).unwrap_err();
    assert!(msg(err).contains("'declared_but_missing' not found in library"));
    assert!(matches!(lib.global("add"), Err(Error::NotDeclared { .. })));
    // SAFETY: the library does not exist, so nothing is loaded.
    let err = unsafe { ffi.dlopen("/nonexistent/libnothing.so") }.unwrap_err();
    assert!(matches!(&err, Error::Open { library, .. } if library.contains("libnothing")));

    let p = ffi.alloc("struct point").unwrap();
    assert_eq!(
        msg(p.field("z").unwrap_err()),
        "'point_t': has no field 'z'"
    );
    assert!(matches!(p.index(0), Err(Error::Unsupported { .. })));
    assert!(matches!(
        p.cast("double[2]"),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        p.at(std::ptr::null(), "int"),
        Err(Error::Unsupported { .. })
    ));
    assert!(p.write_bytes(&[1, 2, 3]).is_err());
    assert!(ffi.alloc("struct nosuch_t").is_err());
    assert!(ffi.alloc("counter_obj").is_err());

    // Types of one context are refused by another.
    let other = Ffi::new();
    other.cdef("struct point { int x, y; };").unwrap();
    let foreign = other.alloc("struct point").unwrap().get().unwrap();
    assert_eq!(
        lib.call("point_sum", &[foreign]),
        Err(Error::ForeignType {
            what: "argument 1 of point_sum()".into()
        })
    );
    assert!(matches!(
        ffi.size_of(other.type_of("int").unwrap()),
        Err(Error::ForeignType { .. })
    ));
}

#[test]
fn declarations_after_dlopen_are_seen() {
    let Some(path) = testlib_path() else { return };
    let ffi = Ffi::new();
    // SAFETY: what is declared later is testlib.h's own.
    let lib = unsafe { ffi.dlopen(path) }.unwrap();
    assert!(lib.call("add", &[Value::I32(1), Value::I32(2)]).is_err());
    ffi.cdef("int add(int, int);").unwrap();
    assert_eq!(
        call(&lib, "add", &[Value::I32(1), Value::I32(2)]),
        Value::I32(3)
    );
    assert_eq!(ffi.constant("TESTLIB_VERSION").ok(), None);
    ffi.cdef("#define TESTLIB_VERSION 3").unwrap();
    assert_eq!(ffi.constant("TESTLIB_VERSION").unwrap(), 3);
}
