//! Declaring the tables of cffi's out-of-line modules: records, includes and the
//! errors cffi reports for bad tables.

use rffi_types::outofline::{Op, OutOfLineErrorKind, RawTables, Tables, F_EXTERNAL, F_PACKED};
use rffi_types::{Symbol, Types};

/// An op word as cffi writes it.
fn w(op: u8, arg: i32) -> [u8; 4] {
    ((arg << 8) | op as i32).to_be_bytes()
}

fn bytes(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn declare(
    types: &[u8],
    struct_unions: &[Vec<Vec<u8>>],
    typenames: &[Vec<u8>],
    includes: &[&Types],
) -> Result<Types, rffi_types::outofline::OutOfLineError> {
    let raw = RawTables {
        types,
        struct_unions: struct_unions
            .iter()
            .map(|e| e.iter().map(Vec::as_slice).collect())
            .collect(),
        typenames: typenames.iter().map(Vec::as_slice).collect(),
        ..RawTables::default()
    };
    let mut t = Types::new();
    t.declare_tables(&Tables::decode(&raw)?, includes)?;
    Ok(t)
}

/// `_types`, `_struct_unions` (entries of byte strings) and `_typenames`.
type TableBytes = (Vec<u8>, Vec<Vec<Vec<u8>>>, Vec<Vec<u8>>);

/// `struct list { struct list *next; char tag; };` with `typedef struct list list_t;`,
/// packed or not.
fn list_tables(flags: u32) -> TableBytes {
    // 0: struct list, 1: struct list *, 2: char
    let types = bytes(&[
        &w(Op::STRUCT_UNION, 0),
        &w(Op::POINTER, 0),
        &w(Op::PRIMITIVE, 2),
    ]);
    let list = vec![
        bytes(&[&0i32.to_be_bytes(), &flags.to_be_bytes(), b"list"]),
        bytes(&[&w(Op::NOOP, 1), b"next"]),
        bytes(&[&w(Op::NOOP, 2), b"tag"]),
    ];
    (
        types,
        vec![list],
        vec![bytes(&[&0i32.to_be_bytes(), b"list_t"])],
    )
}

#[test]
fn records_point_to_themselves_and_keep_their_tag() {
    let (types, sus, names) = list_tables(0);
    let mut t = declare(&types, &sus, &names, &[]).unwrap();
    let list = t.parse_type("list_t").unwrap();
    assert_eq!(t.cname(list), "struct list");
    assert_eq!(t.size_of(list).unwrap(), 16);
    let next = t.field(list, "next").unwrap();
    assert_eq!(t.cname(next.ty), "struct list *");
    assert_eq!(t.parse_type("struct list").unwrap(), list);
}

#[test]
fn the_packed_flag_packs_as_cdef_packed_does() {
    let (types, sus, names) = list_tables(F_PACKED);
    let mut t = declare(&types, &sus, &names, &[]).unwrap();
    let list = t.parse_type("list_t").unwrap();
    assert_eq!(
        (t.size_of(list).unwrap(), t.offset_of(list, "tag").unwrap()),
        (9, 8)
    );
}

#[test]
fn external_records_are_copied_from_an_include() {
    let (types, sus, names) = list_tables(0);
    let base = declare(&types, &sus, &names, &[]).unwrap();
    // The including module: `struct list` external, and a function taking it.
    let types = bytes(&[
        &w(Op::FUNCTION, 3),
        &w(Op::POINTER, 4),
        &w(Op::FUNCTION_END, 0),
        &w(Op::PRIMITIVE, 7),
        &w(Op::STRUCT_UNION, 0),
    ]);
    let sus = vec![vec![bytes(&[
        &4i32.to_be_bytes(),
        &F_EXTERNAL.to_be_bytes(),
        b"list",
    ])]];
    let raw = RawTables {
        types: &types,
        globals: vec![(&b"\x00\x00\x00\x23length"[..], 0)],
        struct_unions: sus
            .iter()
            .map(|e| e.iter().map(Vec::as_slice).collect())
            .collect(),
        ..RawTables::default()
    };
    let mut t = Types::new();
    t.declare_tables(&Tables::decode(&raw).unwrap(), &[&base])
        .unwrap();
    let list = t.parse_type("struct list").unwrap();
    assert_eq!(t.size_of(list).unwrap(), 16);
    assert_eq!(t.cname(t.field(list, "next").unwrap().ty), "struct list *");
    let Some(Symbol::Function(f)) = t.symbol("length").cloned() else {
        panic!("no function")
    };
    assert_eq!(t.cname(f), "int(struct list *)");

    let missing = Types::new();
    let e = declare(&types, &sus, &[], &[&missing]).unwrap_err();
    assert_eq!(e.kind, OutOfLineErrorKind::Ffi);
    assert!(e.message.contains("should come from ffi.include()"), "{e}");
}

#[test]
fn a_record_that_contains_itself_is_refused() {
    // struct s { struct s inner; };
    let types = bytes(&[&w(Op::STRUCT_UNION, 0)]);
    let sus = vec![vec![
        bytes(&[&0i32.to_be_bytes(), &0u32.to_be_bytes(), b"s"]),
        bytes(&[&w(Op::NOOP, 0), b"inner"]),
    ]];
    let e = declare(&types, &sus, &[], &[]).unwrap_err();
    assert!(e.message.contains("contains itself"), "{e}");
}

#[test]
fn on_error_nothing_is_declared() {
    let mut t = Types::new();
    let raw = RawTables {
        types: &bytes(&[&w(Op::PRIMITIVE, 7), &w(99, 0)]),
        typenames: vec![
            &b"\x00\x00\x00\x00a_int"[..],
            &b"\x00\x00\x00\x01broken"[..],
        ],
        ..RawTables::default()
    };
    let e = t
        .declare_tables(&Tables::decode(&raw).unwrap(), &[])
        .unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (OutOfLineErrorKind::NotImplemented, "op=99")
    );
    assert_eq!(t.typedef("a_int"), None);
}
