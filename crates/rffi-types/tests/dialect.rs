//! cffi's cdef dialect: declared as cffi declares it, refused where cffi refuses it.

use rffi_types::{CdefOptions, ErrorKind, Types};

fn declared(source: &str) -> Types {
    let mut t = Types::new();
    t.cdef(source, &CdefOptions::default())
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    t
}

#[test]
fn opaque_typedefs_are_structs_of_unknown_size() {
    let mut t = declared("typedef ... foo_t; typedef ... *foo_p; foo_t *make(void);");
    let foo = t.parse_type("foo_t").unwrap();
    assert_eq!(t.cname(foo), "foo_t");
    assert_eq!(t.size_of(foo).unwrap_err().kind, ErrorKind::UnknownSize);
    let p = t.parse_type("foo_p").unwrap();
    assert_eq!(t.cname(p), "struct $$foo_p *");
    // `struct foo_t` is another type, as in cffi.
    let tagged = t.parse_type("struct foo_t").unwrap();
    assert_ne!(tagged, foo);
    let e = t
        .cdef("typedef ... foo_t;", &CdefOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Redeclaration);
}

#[test]
fn partial_records_and_enums_are_refused_when_used() {
    let mut t = declared(
        "struct s { int x; ...; }; struct s *get(void);\n\
         typedef struct { int a[...]; } arr_s;\n\
         struct holder { struct s inner; };\n\
         enum e { A, B, ... }; enum full { C };",
    );
    for (text, name) in [
        ("struct s", "struct s"),
        ("struct s **", "struct s"),
        ("arr_s", "arr_s"),
        ("struct holder", "struct s"),
        ("enum e", "enum e"),
    ] {
        let e = t.parse_type(text).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::VerificationMissing, name)
        );
    }
    let Some(rffi_types::Symbol::Function(get)) = t.symbol("get").cloned() else {
        panic!()
    };
    assert_eq!(
        t.check_usable(get).unwrap_err().kind,
        ErrorKind::VerificationMissing
    );
    assert_eq!(t.unusable_symbol("B").unwrap().message, "enum e");
    assert_eq!(t.constant("C"), Some(0));
    assert_eq!(t.unusable_names().collect::<Vec<_>>(), ["A", "B"]);
}

#[test]
fn compiler_only_types_and_constants() {
    let mut t = declared(
        "typedef int... i_t; typedef float... f_t; int a[...]; typedef int arr_t[...];\n\
         static const double x = 1.5; int j = 5;\n\
         extern \"Python\" int cb(int);\n#pragma pack(1)\n#define N ...",
    );
    let e = t.parse_type("i_t *").unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ErrorKind::NotImplemented,
            "integer type 'i_t' can only be used after compilation"
        )
    );
    assert!(t
        .parse_type("f_t")
        .unwrap_err()
        .message
        .starts_with("float type"));
    let Some(rffi_types::Symbol::Variable { ty, .. }) = t.symbol("a").cloned() else {
        panic!()
    };
    let e = t.check_usable(ty).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ErrorKind::Declaration,
            "cannot render the type <int[/*...*/]>: unknown length"
        )
    );
    assert_eq!(
        t.parse_type("arr_t").unwrap_err().message,
        "cannot render the type <int[_cffi_array_len(*(arr_t *)0)]>: unknown length"
    );
    assert_eq!(
        t.parse_type("int[...]").unwrap_err().kind,
        ErrorKind::Misplaced
    );
    assert_eq!(
        t.unusable_symbol("x").unwrap().kind,
        ErrorKind::NotImplemented
    );
    assert_eq!(t.constant("j"), Some(5));
    assert!(t.symbol("cb").is_none() && t.symbol("N").is_none());
    assert_eq!(t.take_warnings().len(), 1);
    let e = t
        .cdef("void f(int a[...]);", &CdefOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Misplaced);
}

#[test]
fn one_body_named_by_the_first_declarator() {
    let mut t = declared(
        "typedef struct _P { int x; } P, *PP;\n\
         typedef struct { int x; } Q, *QP;\n\
         typedef struct { int x; } *RP, R;\n\
         typedef enum { A1, B1 } EA, EB;\n\
         typedef enum _E { X1 } E;\n\
         enum kept { K1 }; typedef enum kept kept_t;",
    );
    let mut name = |s: &str| {
        let id = t.parse_type(s).unwrap();
        t.cname(id)
    };
    assert_eq!(name("P"), "P");
    assert_eq!(name("PP"), "P *");
    assert_eq!(name("struct _P"), "P");
    assert_eq!(name("QP"), "Q *");
    assert_eq!(name("R"), "struct $1");
    assert_eq!(name("RP"), "struct $1 *");
    assert_eq!(name("EB"), "EA");
    assert_eq!(name("enum _E"), "E");
    assert_eq!(name("kept_t"), "enum kept");
    assert_eq!(t.parse_type("QP").unwrap(), {
        let q = t.parse_type("Q").unwrap();
        t.pointer_to(q)
    });
    let e = declared("typedef enum _L L;")
        .cdef("enum _L { Z };", &CdefOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotImplemented);
}
