//! What a Rust user meets (issue 14): where `unsafe` is, errors to match on,
//! strings and buffers lent to C, `#[repr(C)]` structs by value, libraries
//! opened, closed and probed, and which types cross threads.

use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rffi::{Arg, Error, Ffi, OpenFlags, Value};

mod support;

use support::{header, setup, testlib_path};

rffi::c_struct! {
    /// testlib's `struct point { int x, y; }`.
    #[derive(Debug, PartialEq)]
    struct Point { x: i32, y: i32 }
}

rffi::c_struct! {
    /// testlib's `struct floats2 { float x, y; }`.
    #[derive(Debug, PartialEq)]
    struct Floats2 { x: f32, y: f32 }
}

rffi::c_struct! {
    /// The right size for `struct point`, but floats: refused.
    struct NotAPoint { x: f32, y: f32 }
}

#[test]
fn safe_calls_refuse_pointers_and_unchecked_calls_take_them() {
    let Some((ffi, lib)) = setup() else { return };
    let err = lib.call("is_null", &[Value::Pointer(0x10 as *mut c_void)]);
    assert_eq!(
        err,
        Err(Error::PassesPointers {
            function: "is_null".into()
        })
    );
    // A struct by value holding a pointer hands C a pointer too (declared
    // in a context of its own: the check comes before any call).
    let other = Ffi::new();
    other
        .cdef("struct holder { int *p; }; int is_null(struct holder h);")
        .unwrap();
    // SAFETY: the call below is refused before it reaches is_null.
    let other_lib = unsafe { other.dlopen(testlib_path().unwrap()) }.unwrap();
    let holder = other.alloc("struct holder").unwrap().get().unwrap();
    assert!(matches!(
        other_lib.call("is_null", &[holder]),
        Err(Error::PassesPointers { .. })
    ));
    let _ = ffi;
    let prepared = lib.prepare("is_null").unwrap();
    assert!(matches!(
        prepared.call(&[Value::Pointer(std::ptr::null_mut())]),
        Err(Error::PassesPointers { .. })
    ));
    // SAFETY: is_null only compares its argument with NULL.
    let r = unsafe { prepared.call_unchecked(&[Value::Pointer(std::ptr::null_mut()).into()]) };
    assert_eq!(r, Ok(Value::I32(1)));
    // Pointer-free functions stay safe.
    assert_eq!(lib.call("add", &[2.into(), 3.into()]), Ok(Value::I32(5)));
}

#[test]
fn errors_are_one_enum_with_exact_messages() {
    let Some((ffi, lib)) = setup() else { return };
    let msg = |r: Result<Value, Error>| r.unwrap_err().to_string();
    assert_eq!(
        msg(lib.call("sum_var", &[])),
        "sum_var() takes at least 1 argument, 0 given"
    );
    assert_eq!(
        msg(lib.call("id_int", &[])),
        "id_int() takes 1 argument, 0 given"
    );
    assert_eq!(
        msg(lib.call("add", &[1.into()])),
        "add() takes 2 arguments, 1 given"
    );
    assert_eq!(
        ffi.cdef("int g(foo_t x);").unwrap_err().to_string(),
        "cannot parse \"int g(foo_t x);\" at line 1, column 13: expected ')' or ',' \
         (unknown type name 'foo_t')"
    );
    // `const` as declared, and why no Rust signature can match.
    assert_eq!(
        lib.function::<(i32,), u64>("my_strlen")
            .unwrap_err()
            .to_string(),
        "'my_strlen': the Rust signature fn(i32) -> u64 does not match the C declaration \
         size_t my_strlen(const char *s)"
    );
    let Err(Error::Signature { reason, .. }) = lib.function::<(i32, i32), i32>("sum_var") else {
        panic!("a variadic function has no typed handle")
    };
    assert!(reason
        .unwrap()
        .starts_with("a variadic function has no Rust signature"));
    let Err(Error::Signature { reason, .. }) = lib.function::<(i32,), i32>("point_sum") else {
        panic!("a struct is not an int")
    };
    assert!(reason.unwrap().contains("'point_t' is passed by value"));
    // A missing symbol is NoSymbol, matchable without rffi-call.
    ffi.cdef("int not_in_testlib(void);").unwrap();
    assert!(matches!(
        lib.call("not_in_testlib", &[]),
        Err(Error::NoSymbol { symbol, .. }) if symbol == "not_in_testlib"
    ));
    // A value of another Ffi says where it went.
    let other = Ffi::new();
    other.cdef("struct point { int x, y; };").unwrap();
    let foreign = other.alloc("struct point").unwrap().get().unwrap();
    assert_eq!(
        msg(lib.call("point_sum", &[foreign])),
        "argument 1 of point_sum() belongs to another Ffi context"
    );
}

#[test]
fn pointers_print_the_address_they_hold() {
    let v = Value::Pointer(0xdead0 as *mut c_void);
    assert_eq!(v.to_string(), "0xdead0");
    let Some((_ffi, lib)) = setup() else { return };
    // SAFETY: static_int_ptr takes nothing and returns the address of a static.
    let p = unsafe { lib.call_unchecked("static_int_ptr", &[]) }.unwrap();
    let addr = p.as_ptr().unwrap();
    assert_eq!(p.to_string(), format!("{addr:p}"));
}

#[test]
fn a_panicking_callback_runs_once_and_the_call_returns_the_panic() {
    let ffi = Ffi::new();
    ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const void *, const void *));")
        .unwrap();
    // SAFETY: the process has libc; qsort is declared as stdlib.h does.
    let libc = unsafe { ffi.dlopen_process() }.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let compare = ffi
        .callback(
            "int(*)(const void *, const void *)",
            move |(_, _): (*const c_void, *const c_void)| -> i32 {
                counted.fetch_add(1, Ordering::Relaxed);
                panic!("comparator failed")
            },
        )
        .unwrap();
    let mut items = [5i32, 3, 9, 1, 7, 2, 8];
    // SAFETY: qsort sorts the 7 ints of `items` and calls `compare` only
    // during the call.
    let r = unsafe {
        libc.call_unchecked(
            "qsort",
            &[
                (&mut items[..]).into(),
                7u64.into(),
                4u64.into(),
                (&compare).into(),
            ],
        )
    };
    assert_eq!(
        r,
        Err(Error::CallbackPanicked {
            message: "comparator failed".into()
        })
    );
    assert_eq!(runs.load(Ordering::Relaxed), 1, "run (and printed) once");
}

#[test]
fn a_typed_call_resumes_a_callback_panic() {
    let Some((ffi, lib)) = setup() else { return };
    let apply = lib.function::<(*const c_void, i32), i32>("apply").unwrap();
    let boom = ffi
        .callback("int(*)(int)", |(x,): (i32,)| -> i32 { panic!("typed {x}") })
        .unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `boom` is an int(*)(int) alive during the call.
        unsafe { apply.call_unchecked((boom.as_ptr(), 4)) }
    }))
    .unwrap_err();
    assert_eq!(caught.downcast_ref::<String>().unwrap(), "typed 4");
    let square = ffi.callback("int(*)(int)", |(x,): (i32,)| x * x).unwrap();
    // SAFETY: `square` is an int(*)(int) alive during the call.
    let squared = unsafe { apply.call_unchecked((square.as_ptr(), 4)) };
    assert_eq!(squared, 16);
}

#[test]
fn strings_and_buffers_are_lent_for_the_call() {
    let Some((_ffi, lib)) = setup() else { return };
    // &CStr in.
    // SAFETY: my_strlen reads a NUL-terminated string.
    let n = unsafe { lib.call_unchecked("my_strlen", &[c"seven!!".into()]) };
    assert_eq!(n, Ok(Value::U64(7)));
    // &mut [u8] in and out.
    let mut text = *b"shout\0";
    // SAFETY: to_upper rewrites the NUL-terminated string in place.
    unsafe { lib.call_unchecked("to_upper", &[(&mut text[..]).into()]) }.unwrap();
    assert_eq!(&text, b"SHOUT\0");
    // &[i32] in, &mut i32 out-parameters.
    let values = [1i32, 2, 3, 4];
    // SAFETY: sum_ints reads 4 ints.
    let sum = unsafe { lib.call_unchecked("sum_ints", &[(&values[..]).into(), 4.into()]) };
    assert_eq!(sum, Ok(Value::I32(10)));
    let (mut q, mut r) = (0i32, 0i32);
    // SAFETY: divmod writes one int to each pointer.
    unsafe {
        lib.call_unchecked(
            "divmod",
            &[17.into(), 5.into(), (&mut q).into(), (&mut r).into()],
        )
    }
    .unwrap();
    assert_eq!((q, r), (3, 2));
    // A C string result, typed: NULL is None.
    let greeting = lib
        .function::<(), Option<&'static CStr>>("greeting")
        .unwrap();
    // SAFETY: greeting returns a string literal of testlib.
    let s = unsafe { greeting.call_unchecked(()) };
    assert_eq!(s.map(CStr::to_bytes), Some(&b"hello, world"[..]));
    // A string result needs a `char *` C type.
    assert!(lib
        .function::<(i32,), Option<&'static CStr>>("id_int")
        .is_err());
    // Text C wrote into rffi memory is read back checked, up to its NUL.
    let buf = _ffi.alloc_array("char", 8).unwrap();
    buf.write_bytes(b"hi\0there").unwrap();
    assert_eq!(buf.to_cstring().unwrap().as_bytes(), b"hi");
}

#[test]
fn repr_c_structs_pass_by_value_through_typed_handles() {
    let Some((ffi, lib)) = setup() else { return };
    let add = lib.function::<(Point, Point), Point>("point_add").unwrap();
    let p = add.call((Point { x: 1, y: 2 }, Point { x: 30, y: 40 }));
    assert_eq!(p, Point { x: 31, y: 42 });
    let make = lib.function::<(f32, f32), Floats2>("make_floats2").unwrap();
    assert_eq!(make.call((1.5, 2.5)), Floats2 { x: 1.5, y: 2.5 });
    let dot = lib
        .function::<(Floats2, Floats2), f32>("floats2_dot")
        .unwrap();
    assert_eq!(
        dot.call((make.call((1.0, 2.0)), Floats2 { x: 3.0, y: 4.0 })),
        11.0
    );
    // Checked once against the declared layout: floats are not ints.
    let err = lib.function::<(NotAPoint, NotAPoint), NotAPoint>("point_add");
    assert!(matches!(err, Err(Error::Signature { .. })));
    // Callbacks take and return them too.
    let swap = ffi
        .callback("struct point(*)(struct point)", |(p,): (Point,)| Point {
            x: p.y,
            y: p.x,
        })
        .unwrap();
    ffi.cdef("typedef struct point (*point_fn)(struct point);")
        .unwrap();
    let f: extern "C" fn(Point) -> Point =
        // SAFETY: the callback's code has the C type struct point(*)(struct point).
        unsafe { std::mem::transmute(swap.as_ptr()) };
    assert_eq!(f(Point { x: 1, y: 2 }), Point { x: 2, y: 1 });
}

#[test]
fn more_than_eight_arguments_through_typed_handles() {
    let Some((_ffi, lib)) = setup() else { return };
    type Ten = (f64, f64, f64, f64, f64, f64, f64, f64, f64, f64);
    let many = lib.function::<Ten, f64>("many_doubles").unwrap();
    assert_eq!(
        many.call((1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)),
        55.0
    );
    type Fourteen = (
        i32,
        f64,
        i8,
        f32,
        i64,
        f64,
        i16,
        f32,
        u8,
        f64,
        i32,
        f64,
        i64,
        f32,
    );
    let mixed = lib.function::<Fourteen, f64>("many_mixed").unwrap();
    let args: Fourteen = (1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0);
    assert_eq!(mixed.call(args), (1..=14).sum::<i32>() as f64);
    assert_eq!((1..=14).sum::<i32>(), 105);
}

#[test]
fn variadic_functions_with_a_typed_fixed_part() {
    let Some((_ffi, lib)) = setup() else { return };
    let sum = lib.variadic::<(i32,), i32>("sum_var").unwrap();
    // Extra arguments are promoted: i8 and i16 travel as int.
    let extra = [Value::I32(1), Value::I8(2), Value::I16(3)];
    assert_eq!(sum.call((3,), &extra), Ok(6));
    let sum_d = lib.variadic::<(i32,), f64>("sum_var_d").unwrap();
    assert_eq!(
        sum_d.call((2,), &[Value::F32(0.5), Value::F64(0.25)]),
        Ok(0.75)
    );
    // Pointers among the extras need the unsafe call.
    assert!(matches!(
        sum.call((1,), &[Value::Pointer(std::ptr::null_mut())]),
        Err(Error::PassesPointers { .. })
    ));
    // The fixed part is checked once, with the declaration as written.
    assert_eq!(
        lib.variadic::<(i64,), i32>("sum_var")
            .unwrap_err()
            .to_string(),
        "'sum_var': the Rust signature fn(i64, ...) -> i32 does not match the C declaration \
         int sum_var(int n, ...)"
    );
    assert!(matches!(
        lib.variadic::<(i32,), i32>("id_int"),
        Err(Error::Signature { .. })
    ));
    // snprintf-like, with a pointer prefix.
    let format = lib
        .variadic::<(*mut u8, u64, *const u8), i32>("format_into")
        .unwrap();
    let mut buf = [0u8; 16];
    // SAFETY: format_into writes at most 16 bytes; "%s=%d" reads a string
    // and an int.
    let n = unsafe {
        format.call_unchecked(
            (buf.as_mut_ptr(), 16, c"%s=%d".as_ptr().cast()),
            &[c"k".into(), 7.into()],
        )
    };
    assert_eq!(n, Ok(3));
    assert_eq!(&buf[..4], b"k=7\0");
}

#[test]
fn libraries_open_by_path_with_flags_probe_and_close() {
    let Some(path) = testlib_path() else { return };
    let ffi = Ffi::new();
    ffi.cdef(&header()).unwrap();
    ffi.cdef("int testlib_has_no_such_function(int);").unwrap();
    // SAFETY: testlib.h is testlib's own header.
    let lib =
        unsafe { ffi.dlopen_with(Some(path.as_os_str()), OpenFlags::LAZY | OpenFlags::LOCAL) }
            .unwrap();
    assert!(lib
        .function_optional::<(i32,), i32>("id_int")
        .unwrap()
        .is_some());
    assert!(lib
        .function_optional::<(i32,), i32>("testlib_has_no_such_function")
        .unwrap()
        .is_none());
    assert!(lib
        .prepare_optional("testlib_has_no_such_function")
        .unwrap()
        .is_none());
    // An optional lookup still reports other mistakes.
    assert!(lib.function_optional::<(f64,), f64>("id_int").is_err());
    let counter = lib.global_optional("counter").unwrap().unwrap();
    let add = lib.function::<(i32, i32), i32>("add").unwrap();
    let prepared = lib.prepare("add").unwrap();
    lib.close().unwrap();
    // What was taken from the library keeps it mapped.
    assert_eq!(add.call((2, 3)), 5);
    assert_eq!(prepared.call(&[2.into(), 2.into()]), Ok(Value::I32(4)));
    counter.set(7).unwrap();
    assert_eq!(counter.get().unwrap(), Value::I32(7));
    // A library nothing else holds closes for real.
    // SAFETY: as above.
    let again = unsafe { ffi.dlopen(path) }.unwrap();
    assert_eq!(again.close(), Ok(()));
}

#[test]
fn shared_types_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Ffi>();
    send_sync::<rffi::Library>();
    send_sync::<rffi::Function<(f64,), f64>>();
    send_sync::<rffi::DynFunction>();
    send_sync::<rffi::Callback>();
    send_sync::<rffi::CType>();
    send_sync::<Value>();
    send_sync::<Arg<'static>>();
    send_sync::<Error>();
    let Some((ffi, lib)) = setup() else { return };
    let lib = Arc::new(lib);
    let results: Vec<Value> = (0..4)
        .map(|i| {
            let lib = lib.clone();
            std::thread::spawn(move || lib.call("add", &[i.into(), 1.into()]).unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results, [1, 2, 3, 4].map(Value::I32));
    // A pointer result may leave the thread that got it.
    let lib2 = lib.clone();
    let p = std::thread::spawn(move || {
        // SAFETY: static_int_ptr takes nothing.
        unsafe { lib2.call_unchecked("static_int_ptr", &[]) }.unwrap()
    })
    .join()
    .unwrap();
    assert!(p.as_ptr().is_some());
    // A callback made on one thread is called by C on another.
    let square = ffi.callback("int(*)(int)", |(x,): (i32,)| x * x).unwrap();
    let apply = lib.function::<(*const c_void, i32), i32>("apply").unwrap();
    let r = std::thread::spawn(move || {
        // SAFETY: `square` moved here and outlives the call.
        unsafe { apply.call_unchecked((square.as_ptr(), 9)) }
    })
    .join()
    .unwrap();
    assert_eq!(r, 81);
}
