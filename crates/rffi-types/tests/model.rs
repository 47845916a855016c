//! Behaviour of the type model: names, sizes, enums, declarations and errors.

use rffi_types::{CdefOptions, ErrorKind, Prim, Symbol, Type, Types};

fn declared(src: &str) -> Types {
    let mut t = Types::new();
    t.cdef(src, &CdefOptions::default()).unwrap();
    t
}

fn cname(t: &mut Types, s: &str) -> String {
    let id = t.parse_type(s).unwrap();
    t.cname(id)
}

#[test]
fn canonical_names_are_cffis() {
    let mut t = declared(
        "struct point { int x, y; };
         typedef struct { int a; } anon_t;
         enum color { RED };
         typedef int (*cb_t)(int);",
    );
    // Each pair was printed by cffi 2.0's ffi.typeof(T).cname.
    let expected = [
        ("int", "int"),
        ("char**", "char * *"),
        ("int*[3]", "int *[3]"),
        ("int[10][20]", "int[10][20]"),
        ("int(*)(int,double)", "int(*)(int, double)"),
        ("void(*)(void)", "void(*)()"),
        ("int(*)[5]", "int(*)[5]"),
        ("struct point *", "struct point *"),
        ("enum color", "enum color"),
        ("unsigned long long", "unsigned long long"),
        ("const char *", "char *"),
        ("char * const", "char *"),
        ("anon_t", "anon_t"),
        ("anon_t*", "anon_t *"),
        ("cb_t", "int(*)(int)"),
        ("cb_t[2]", "int(*[2])(int)"),
        ("int(*(*)(int))[3]", "int(*(*)(int))[3]"),
        ("long int", "long"),
        ("unsigned", "unsigned int"),
        ("signed char", "signed char"),
        ("bool", "_Bool"),
        ("size_t", "size_t"),
        ("int8_t", "int8_t"),
        ("int(*)(int,...)", "int(*)(int, ...)"),
        ("volatile int *", "int *"),
        ("int * restrict", "int *"),
        ("int[]", "int[]"),
        ("int(int)", "int(int)"),
    ];
    for (input, want) in expected {
        assert_eq!(cname(&mut t, input), want, "{input}");
    }
}

#[test]
fn getctype_puts_the_declarator_where_cffi_does() {
    let mut t = Types::new();
    let arr = t.parse_type("int[3]").unwrap();
    let int = t.parse_type("int").unwrap();
    let ptr = t.parse_type("int *").unwrap();
    assert_eq!(t.cname_with(arr, "x"), "int x[3]");
    assert_eq!(t.cname_with(int, "*"), "int *");
    assert_eq!(t.cname_with(arr, "*"), "int(*)[3]");
    assert_eq!(t.cname_with(ptr, "x"), "int * x");
    assert_eq!(t.cname_with(int, ""), "int");
}

#[test]
fn type_strings_are_interned() {
    let mut t = declared("typedef int myint;");
    let a = t.parse_type("int").unwrap();
    assert_eq!(t.parse_type("myint").unwrap(), a);
    assert_eq!(t.parse_type("signed int").unwrap(), a);
    assert_ne!(
        t.parse_type("size_t").unwrap(),
        t.parse_type("unsigned long").unwrap()
    );
}

#[test]
fn every_primitive_has_its_c_size() {
    let mut t = Types::new();
    let sizes = [
        ("char", 1),
        ("short", 2),
        ("int", 4),
        ("long long", 8),
        ("float", 4),
        ("double", 8),
        ("_Bool", 1),
        ("char16_t", 2),
        ("char32_t", 4),
        ("int64_t", 8),
        ("uint_least16_t", 2),
        ("float _Complex", 8),
        ("double _Complex", 16),
    ];
    for (name, size) in sizes {
        let id = t.parse_type(name).unwrap();
        assert_eq!(t.size_of(id).unwrap(), size, "{name}");
    }
    for p in Prim::all() {
        let id = t.parse_type(p.name()).unwrap();
        assert_eq!(t.get(id), &Type::Prim(p));
        assert!(
            p.align() <= p.size() && p.size() % p.align() == 0,
            "{}",
            p.name()
        );
    }
}

#[test]
fn enums_take_gcc_s_underlying_type() {
    let mut t = declared(
        "enum small { A, B = 5, C };
         enum neg { N = -1, M };
         enum big { X = 0x100000000 };
         enum top { T = 0xffffffff };
         enum e2 { P = 1 << 3, Q = P + 1, R = 'a' };",
    );
    assert_eq!(t.constant("C"), Some(6));
    assert_eq!(t.constant("M"), Some(0));
    assert_eq!(t.constant("Q"), Some(9));
    assert_eq!(t.constant("R"), Some(97));
    let base = |t: &mut Types, s: &str| {
        let id = t.parse_type(s).unwrap();
        t.integer_prim(id).unwrap().name()
    };
    assert_eq!(base(&mut t, "enum small"), "unsigned int");
    assert_eq!(base(&mut t, "enum neg"), "int");
    assert_eq!(base(&mut t, "enum big"), "unsigned long");
    assert_eq!(base(&mut t, "enum top"), "unsigned int");
    let big = t.parse_type("enum big").unwrap();
    assert_eq!(t.size_of(big).unwrap(), 8);
}

#[test]
fn opaque_structs_are_completed_by_a_later_cdef() {
    let mut t = declared("struct ctx; typedef struct ctx ctx_t; int use(ctx_t *);");
    let ctx = t.parse_type("ctx_t").unwrap();
    let err = t.size_of(ctx).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownSize);
    // Named after its first typedef, as cffi names it.
    assert_eq!(err.message, "ctype 'ctx_t' is of unknown size");
    t.cdef(
        "struct ctx { int refs; double weight; };",
        &CdefOptions::default(),
    )
    .unwrap();
    assert_eq!(t.size_of(ctx).unwrap(), 16);
    assert_eq!(t.parse_type("struct ctx").unwrap(), ctx);
}

#[test]
fn later_sources_use_earlier_typedefs_and_constants() {
    let mut t = declared("typedef struct { int a; } item_t;\n#define N 4\nenum { K = 2 };");
    t.cdef(
        "struct bag { item_t items[N * K]; };",
        &CdefOptions::default(),
    )
    .unwrap();
    let bag = t.parse_type("struct bag").unwrap();
    assert_eq!(t.size_of(bag).unwrap(), 32);
}

#[test]
fn offsets_follow_nested_and_anonymous_members() {
    let mut t = declared(
        "struct in { char c; double d; };
         struct out { int x; struct in inner; union { short s; long l; }; int tail[3]; };",
    );
    let out = t.parse_type("struct out").unwrap();
    assert_eq!(t.offset_of(out, "inner.d").unwrap(), 16);
    assert_eq!(t.offset_of(out, "l").unwrap(), 24);
    assert_eq!(t.offset_of(out, "tail").unwrap(), 32);
    let flat: Vec<String> = t
        .flat_fields(out)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(flat, ["x", "inner", "s", "l", "tail"]);
    let direct: Vec<String> = t.fields(out).unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(direct, ["x", "inner", "", "tail"]);
    assert_eq!(
        t.offset_of(out, "nope").unwrap_err().kind,
        ErrorKind::NoSuchField
    );
}

#[test]
fn bitfields_flexible_arrays_and_packing() {
    let mut t = declared(
        "struct bits { unsigned a : 3; unsigned : 0; unsigned b : 30; int c : 4; };
         struct flex { int n; double data[]; };
         struct __attribute__((packed)) p1 { char c; int i; };
         struct al { char c; } __attribute__((aligned(8)));",
    );
    let bits = t.parse_type("struct bits").unwrap();
    // `: 0` moves b to the next int; c would straddle it, so it starts another.
    assert_eq!(t.size_of(bits).unwrap(), 12);
    let b = t.field(bits, "b").unwrap();
    assert_eq!(
        (b.offset, b.bits.unwrap().shift, b.bits.unwrap().width),
        (4, 0, 30)
    );
    let c = t.field(bits, "c").unwrap();
    assert_eq!((c.offset, c.bits.unwrap().shift), (8, 0));
    assert_eq!(
        t.offset_of(bits, "c").unwrap_err().kind,
        ErrorKind::Unsupported
    );
    let flex = t.parse_type("struct flex").unwrap();
    assert_eq!(t.size_of(flex).unwrap(), 8);
    assert!(t.record_layout(flex).unwrap().flexible);
    let p1 = t.parse_type("struct p1").unwrap();
    assert_eq!((t.size_of(p1).unwrap(), t.align_of(p1).unwrap()), (5, 1));
    let al = t.parse_type("struct al").unwrap();
    assert_eq!((t.size_of(al).unwrap(), t.align_of(al).unwrap()), (8, 8));

    let mut packed = Types::new();
    let opts = CdefOptions {
        pack: Some(2),
        ..Default::default()
    };
    packed
        .cdef("struct q { char c; double d; };", &opts)
        .unwrap();
    let q = packed.parse_type("struct q").unwrap();
    assert_eq!(
        (
            packed.size_of(q).unwrap(),
            packed.offset_of(q, "d").unwrap()
        ),
        (10, 2)
    );
    let mut one = Types::new();
    let opts = CdefOptions {
        packed: true,
        ..Default::default()
    };
    one.cdef("struct q { char c; double d; };", &opts).unwrap();
    let q = one.parse_type("struct q").unwrap();
    assert_eq!(one.size_of(q).unwrap(), 9);
}

#[test]
fn functions_adjust_array_and_function_parameters() {
    let t = declared(
        "int f(int a[], void g(int), ...); extern int counter; const int limit;\n#define M (-3)",
    );
    let Some(Symbol::Function(f)) = t.symbol("f").cloned() else {
        panic!()
    };
    let sig = t.function(f).unwrap().clone();
    assert!(sig.variadic);
    assert_eq!(t.cname(sig.params[0]), "int *");
    assert_eq!(t.cname(sig.params[1]), "void(*)(int)");
    assert!(matches!(
        t.symbol("counter"),
        Some(Symbol::Variable {
            is_const: false,
            ..
        })
    ));
    assert!(matches!(
        t.symbol("limit"),
        Some(Symbol::Variable { is_const: true, .. })
    ));
    assert_eq!(t.constant("M"), Some(-3));
    let names: Vec<&str> = t.symbols().map(|(n, _)| n).collect();
    assert_eq!(names, ["f", "counter", "limit", "M"]);
}

#[test]
fn redeclarations_follow_cffi() {
    let mut t = declared("typedef int myint; int f(int); struct s { int a; };");
    let opts = CdefOptions::default();
    t.cdef("typedef int myint;", &opts).unwrap();
    let e = t.cdef("typedef long myint;", &opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Redeclaration);
    assert!(
        e.message
            .starts_with("multiple declarations of typedef myint"),
        "{}",
        e.message
    );
    assert_eq!(
        t.cdef("int f(int);", &opts).unwrap_err().kind,
        ErrorKind::Redeclaration
    );
    let e = t.cdef("struct s { int b; };", &opts).unwrap_err();
    assert!(
        e.message.starts_with("duplicate declaration of struct s"),
        "{}",
        e.message
    );
    let over = CdefOptions {
        override_: true,
        ..Default::default()
    };
    t.cdef("typedef long myint; int f(long);", &over).unwrap();
    assert_eq!(cname(&mut t, "myint"), "long");
    let Some(Symbol::Function(f)) = t.symbol("f").cloned() else {
        panic!()
    };
    assert_eq!(t.cname(f), "int(long)");
    // cffi refuses a second struct body even with override.
    assert!(t.cdef("struct s { int b; };", &over).is_err());
}

#[test]
fn errors_say_what_and_where() {
    let mut t = Types::new();
    let opts = CdefOptions::default();
    let e = t.cdef("int ok;\nfoo_t bad;", &opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert!(e.message.contains("line 2"), "{}", e.message);
    let e = t.cdef("struct s { int a[-1]; };", &opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadValue);
    assert!(
        e.message.contains("negative array length at line 1"),
        "{}",
        e.message
    );
    let e = t.cdef("int x[1 / 0];", &opts).unwrap_err();
    assert!(e.message.contains("division by zero"), "{}", e.message);
    // As cffi, records that cannot be laid out are declared, and refused
    // when used, under the name they have then.
    t.cdef(
        "struct s2 { int n; void v; }; struct s3 { float f : 3; };
         struct s4 { char c : 9; }; struct s5 { char c : 0; };
         struct s6 { int a[]; int b; }; typedef struct s3 s3_t;",
        &opts,
    )
    .unwrap();
    for (name, message) in [
        (
            "struct s2",
            "field 'struct s2.v' has ctype 'void' of unknown size",
        ),
        (
            "s3_t",
            "field 's3_t.f' declared as 'float' cannot be a bit field",
        ),
        (
            "struct s4 *",
            "bit field 'struct s4.c' is declared 'char:9', which exceeds the width of the type",
        ),
        ("struct s5[2]", "field 'struct s5.c' is declared with :0"),
        (
            "struct s6",
            "field 'struct s6.a' has ctype 'int[]' of unknown size",
        ),
    ] {
        let e = t.parse_type(name).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::BadLayout, message)
        );
    }
    let e = t.cdef("struct s4 { char c; };", &opts).unwrap_err();
    assert!(
        e.message.contains("duplicate declaration of struct s4"),
        "{}",
        e.message
    );
    let e = t.cdef("struct s7 { int f(int); };", &opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Declaration);
    let e = t.parse_type("void[3]").unwrap_err();
    assert_eq!(e.message, "array item of unknown size: 'void'");
    let e = t.cdef(
        "int bad_pack;",
        &CdefOptions {
            pack: Some(3),
            ..Default::default()
        },
    );
    assert_eq!(e.unwrap_err().kind, ErrorKind::BadValue);
    assert_eq!(t.parse_type("int(").unwrap_err().kind, ErrorKind::Parse);
}
