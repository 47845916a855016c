//! Declarations at the limits of the target: each of these once wrapped,
//! panicked or overflowed the stack.

use rffi_types::{CdefOptions, ErrorKind, TypeError, Types};

fn cdef(src: &str) -> Result<Types, TypeError> {
    let mut t = Types::new();
    t.cdef(src, &CdefOptions::default()).map(|()| t)
}

fn refused(src: &str) -> TypeError {
    match cdef(src) {
        Ok(_) => panic!("accepted: {src}"),
        Err(e) => e,
    }
}

#[test]
fn a_member_of_2_pow_61_bytes_no_longer_wraps_the_size() {
    // Counted in bits in a usize, 2^61 bytes wrapped to 0: sizeof was 4.
    let mut t = cdef("struct s { char a[2305843009213693952]; int t; };").unwrap();
    let s = t.parse_type("struct s").unwrap();
    assert_eq!(t.size_of(s).unwrap(), (1 << 61) + 4);
    assert_eq!(t.offset_of(s, "t").unwrap(), 1 << 61);
}

#[test]
fn records_past_ptrdiff_max_are_refused_naming_the_member() {
    let e = refused("struct s { char pad[18446744073709551612]; int t; };");
    assert_eq!(e.kind, ErrorKind::TooLarge, "{}", e.message);
    assert!(
        e.message
            .starts_with("field 'pad': ctype 'char[18446744073709551612]' is too large"),
        "{}",
        e.message
    );
    let e = refused("struct s { char a[4611686018427387904]; char b[4611686018427387904]; };");
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(
        e.message.starts_with("field 'b' does not fit"),
        "{}",
        e.message
    );
    let e = refused("struct s { char a[9223372036854775807]; int b : 3; };");
    assert!(e.message.starts_with("field 'b'"), "{}", e.message);
    // The largest object is accepted.
    let mut t = cdef("struct s { char a[9223372036854775807]; };").unwrap();
    let s = t.parse_type("struct s").unwrap();
    assert_eq!(t.size_of(s).unwrap(), isize::MAX as usize);
}

#[test]
fn array_type_strings_past_ptrdiff_max_are_refused() {
    let mut t = Types::new();
    for text in [
        "int[2305843009213693952]",
        "char[9223372036854775808]",
        "char[2][4611686018427387904]",
    ] {
        assert_eq!(
            t.parse_type(text).unwrap_err().kind,
            ErrorKind::TooLarge,
            "{text}"
        );
    }
    let id = t.parse_type("char[9223372036854775807]").unwrap();
    assert_eq!(t.size_of(id).unwrap(), isize::MAX as usize);
}

#[test]
fn alignments_follow_gcc() {
    for (align, message) in [
        ("2305843009213693952", "exceeds maximum 268435456"),
        ("536870912", "exceeds maximum 268435456"),
        ("3", "not a positive power of 2"),
        ("-8", "not a positive power of 2"),
    ] {
        let e = refused(&format!(
            "struct s {{ int x __attribute__((aligned({align}))); }};"
        ));
        assert_eq!(e.kind, ErrorKind::Declaration);
        assert!(e.message.contains(message), "{}", e.message);
        let e = refused(&format!(
            "struct __attribute__((aligned({align}))) s {{ int x; }};"
        ));
        assert!(e.message.contains(message), "{}", e.message);
    }
    // GCC warns about aligned(0) and ignores it.
    let mut t = cdef(
        "struct s { int x __attribute__((aligned(0))); char c : 1 __attribute__((aligned(0))); };",
    )
    .unwrap();
    let s = t.parse_type("struct s").unwrap();
    assert_eq!(t.size_align(s).unwrap(), (8, 4));
    let mut t = cdef("struct s { char c __attribute__((aligned(268435456))); };").unwrap();
    let s = t.parse_type("struct s").unwrap();
    assert_eq!(t.size_align(s).unwrap(), (1 << 28, 1 << 28));
}

#[test]
fn records_without_data_have_size_one_as_in_cffi() {
    // Each pair as cffi 2.0 reports it: (sizeof, alignof).
    for (src, want) in [
        ("struct s { int a[0]; };", (1, 4)),
        ("struct s { char a[0]; };", (1, 1)),
        ("struct s { };", (1, 1)),
        ("union s { int a[0]; };", (1, 4)),
        ("struct s { int a[]; };", (1, 4)),
        ("struct s { int : 0; };", (1, 1)),
        ("struct s { int x; double a[0]; };", (8, 8)),
    ] {
        let mut t = cdef(src).unwrap();
        let name = if src.starts_with("union") {
            "union s"
        } else {
            "struct s"
        };
        let s = t.parse_type(name).unwrap();
        assert_eq!(t.size_align(s).unwrap(), want, "{src}");
    }
    let mut t =
        cdef("struct e { int a[0]; }; struct s { struct e x; struct e y; int z; };").unwrap();
    let s = t.parse_type("struct s").unwrap();
    assert_eq!(t.size_of(s).unwrap(), 12);
    assert_eq!(t.offset_of(s, "y").unwrap(), 4);
}

#[test]
fn deep_types_are_refused_without_overflowing_the_stack() {
    let mut t = Types::new();
    let opts = CdefOptions::default();
    for text in [
        format!("int{}", "[1]".repeat(50_000)),
        format!("int{}", "*".repeat(50_000)),
    ] {
        assert_eq!(t.parse_type(&text).unwrap_err().kind, ErrorKind::Parse);
    }
    let e = t
        .cdef(&format!("int a{};", "[1]".repeat(50_000)), &opts)
        .unwrap_err();
    assert!(
        e.message.contains("too long"),
        "{}",
        &e.message[e.message.len() - 200..]
    );
    // A chain of typedefs adds one level per declaration.
    let chain: String = (0..5000)
        .map(|i| format!("typedef t{i} *t{};\n", i + 1))
        .collect();
    let e = t
        .cdef(&format!("typedef int t0;\n{chain}"), &opts)
        .unwrap_err();
    assert!(
        e.message.contains("more than 256 levels deep"),
        "{}",
        e.message
    );
    assert!(e.message.contains("line 258"), "{}", e.message);
    let id = t.parse_type("t256").unwrap();
    assert_eq!(t.depth(id), Types::MAX_DEPTH);
}

#[test]
fn constants_that_overflow_long_long_are_refused() {
    for src in [
        "#define X ((-9223372036854775807-1)/-1)",
        "#define X (-(-9223372036854775807-1))",
        "#define X (9223372036854775807 * 2)",
        "#define X (1 << 63)",
        "#define X (0xffffffffffffffff + 1)",
        "enum e { A = 0x7fffffffffffffff + 1 };",
    ] {
        let e = refused(src);
        assert!(
            e.message.contains("integer overflow"),
            "{src}: {}",
            e.message
        );
    }
    let t = cdef(
        "#define A (-9223372036854775807-1)\n#define B (1ULL << 63)\n#define C (0xffffffffffffffff)\n\
         enum e { E = 0x7fffffffffffffff, F };",
    )
    .unwrap();
    assert_eq!(t.constant("A"), Some(i64::MIN.into()));
    assert_eq!(t.constant("B"), Some(1 << 63));
    assert_eq!(t.constant("C"), Some(u64::MAX.into()));
    assert_eq!(t.constant("F"), Some(1 << 63));
}

#[test]
fn enums_fitting_neither_long_nor_unsigned_long_are_refused() {
    for src in [
        "enum e { A = 0xffffffffffffffff, B };",
        "enum e { A = -1, B = 0x8000000000000000 };",
    ] {
        let e = refused(src);
        assert!(e.message.contains("don't all fit"), "{src}: {}", e.message);
    }
}

#[test]
fn chains_of_records_holding_records_are_refused_before_too_deep() {
    // Each struct holds the previous one (anonymously or by name): walking
    // the members of the last one would recurse once per struct.
    for member in ["struct s{i};", "struct s{i} m;", "struct s{i} m[1];"] {
        let chain: String = (0..5000)
            .map(|i| {
                let m = member.replace("{i}", &i.to_string());
                format!("struct s{} {{ {m} int a{}; }};\n", i + 1, i + 1)
            })
            .collect();
        let e = refused(&format!("struct s0 {{ int a0; }};\n{chain}"));
        assert!(e.message.contains("nested more than 256"), "{}", e.message);
    }
    let chain: String = (0..200)
        .map(|i| format!("struct s{} {{ struct s{i}; int a{}; }};\n", i + 1, i + 1))
        .collect();
    let mut t = cdef(&format!("struct s0 {{ int a0; }};\n{chain}")).unwrap();
    let s = t.parse_type("struct s200").unwrap();
    assert_eq!(t.nesting(s), 201);
    assert_eq!(t.offset_of(s, "a0").unwrap(), 0);
    assert_eq!(t.flat_fields(s).unwrap().len(), 201);
    // Arrays of such a record count their dimensions on top.
    assert!(t
        .parse_type(&format!("struct s200{}", "[1]".repeat(55)))
        .is_ok());
    let e = t
        .parse_type(&format!("struct s200{}", "[1]".repeat(56)))
        .unwrap_err();
    assert!(
        e.message.contains("more than 256 levels deep"),
        "{}",
        e.message
    );
}
