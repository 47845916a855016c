//! Layouts at the limits of the address space: random records whose members,
//! array lengths and alignments sit near `usize::MAX`, 2^61, 2^63... Every
//! declaration is either refused with an error or gives a layout in which each
//! field lies inside `sizeof`; nothing panics, nothing wraps. Plain structs are
//! also checked against a layout computed here with exact (u128) arithmetic.

use proptest::prelude::*;
use rffi_types::{CdefOptions, ErrorKind, Types};

const MAX_OBJECT: u128 = isize::MAX as u128;

/// Array lengths, sizes and alignments around the places arithmetic wraps.
const BIG: &[u128] = &[
    0,
    1,
    2,
    3,
    7,
    1 << 28,
    1 << 29,
    (1 << 61) - 1,
    1 << 61,
    (1 << 61) + 1,
    1 << 62,
    (1 << 63) - 8,
    (1 << 63) - 1,
    1 << 63,
    (1 << 64) - 4,
    (1 << 64) - 1,
];

/// Element types with (size, align) on x86-64 and aarch64 Linux.
const ELEMENTS: &[(&str, u128, u128)] = &[
    ("char", 1, 1),
    ("short", 2, 2),
    ("int", 4, 4),
    ("long", 8, 8),
    ("double", 8, 8),
];

#[derive(Clone, Debug)]
struct MemberSpec {
    element: usize,
    /// Array dimensions, outermost first; empty for a scalar.
    dims: Vec<u128>,
    /// A bitfield width (the member is then a scalar).
    bits: Option<u128>,
    aligned: Option<u128>,
    packed: bool,
}

#[derive(Clone, Debug)]
struct RecordSpec {
    union: bool,
    members: Vec<MemberSpec>,
    packed: bool,
    aligned: Option<u128>,
    pack: Option<u32>,
}

fn big() -> impl Strategy<Value = u128> {
    prop_oneof![
        proptest::sample::select(BIG),
        (0u128..64),
        (0u32..66).prop_map(|s| 1u128 << s),
    ]
}

fn member() -> impl Strategy<Value = MemberSpec> {
    (
        0..ELEMENTS.len(),
        prop::collection::vec(big(), 0..3),
        prop::option::weighted(0.2, prop_oneof![(0u128..70), big()]),
        prop::option::weighted(0.2, big()),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(element, dims, bits, aligned, packed)| MemberSpec {
            element,
            dims: if bits.is_some() { Vec::new() } else { dims },
            bits,
            aligned,
            packed,
        })
}

fn record() -> impl Strategy<Value = RecordSpec> {
    (
        prop::bool::weighted(0.2),
        prop::collection::vec(member(), 0..5),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.1, big()),
        prop::option::weighted(0.1, proptest::sample::select(&[1u32, 2, 4, 8, 16][..])),
    )
        .prop_map(|(union, members, packed, aligned, pack)| RecordSpec {
            union,
            members,
            packed,
            aligned,
            pack,
        })
}

fn source(spec: &RecordSpec, nested: Option<&str>) -> String {
    let mut body = String::new();
    for (i, m) in spec.members.iter().enumerate() {
        let ty = match (i, nested) {
            (0, Some(inner)) => inner,
            _ => ELEMENTS[m.element].0,
        };
        body.push_str(ty);
        body.push_str(&format!(" m{i}"));
        for d in &m.dims {
            body.push_str(&format!("[{d}]"));
        }
        if let Some(b) = m.bits {
            body.push_str(&format!(" : {b}"));
        }
        if m.packed {
            body.push_str(" __attribute__((packed))");
        }
        if let Some(a) = m.aligned {
            body.push_str(&format!(" __attribute__((aligned({a})))"));
        }
        body.push_str("; ");
    }
    let keyword = if spec.union { "union" } else { "struct" };
    let mut attrs = String::new();
    if spec.packed {
        attrs.push_str("__attribute__((packed)) ");
    }
    if let Some(a) = spec.aligned {
        attrs.push_str(&format!("__attribute__((aligned({a}))) "));
    }
    format!("{keyword} {attrs}r {{ {body}}};")
}

fn options(spec: &RecordSpec) -> CdefOptions {
    CdefOptions {
        pack: spec.pack,
        ..CdefOptions::default()
    }
}

/// Every field lies inside the record; sizes and alignments are sane. A
/// record accepted without a layout (`char x:9`) is refused on use instead.
fn check_inside(t: &mut Types, name: &str) -> Result<(), TestCaseError> {
    let id = match t.parse_type(name) {
        Ok(id) => id,
        Err(e) => {
            prop_assert_eq!(e.kind, ErrorKind::BadLayout, "{}", e.message);
            return Ok(());
        }
    };
    let (size, align) = t.size_align(id).unwrap();
    prop_assert!(size >= 1 && size as u128 <= MAX_OBJECT, "size {size}");
    prop_assert!(align.is_power_of_two() && align <= 1 << 28, "align {align}");
    let flexible = t.record_layout(id).unwrap().flexible;
    for f in t.fields(id).unwrap() {
        let (offset, end) = match (f.bits, t.size_of(f.ty)) {
            (Some(b), _) => {
                let start = f.offset as u128 * 8 + u128::from(b.shift);
                (start, start + u128::from(b.width))
            }
            (None, Ok(s)) => (f.offset as u128 * 8, (f.offset as u128 + s as u128) * 8),
            (None, Err(_)) => {
                prop_assert!(flexible, "field '{}' has no size", f.name);
                (f.offset as u128 * 8, f.offset as u128 * 8)
            }
        };
        prop_assert!(
            end <= size as u128 * 8,
            "field '{}' at bits {offset}..{end} outside {size} bytes",
            f.name
        );
    }
    Ok(())
}

/// The size of `item[d0][d1]...`: every array type on the way, from the
/// innermost out, must fit (as in C, `char[0][2^62][4]` is refused).
fn array_size(item: u128, dims: &[u128]) -> Option<u128> {
    // A length past `unsigned long long` is not a C constant: refused even
    // when another dimension is 0.
    if dims.iter().any(|&d| d > u64::MAX as u128) {
        return None;
    }
    dims.iter().rev().try_fold(item, |acc, &d| {
        acc.checked_mul(d).filter(|&s| s <= MAX_OBJECT)
    })
}

fn round_up(v: u128, to: u128) -> u128 {
    v.div_ceil(to) * to
}

/// The layout of a struct of plain members with optional `aligned`, computed
/// here in u128: `None` where it is larger than the largest object.
fn reference_size(spec: &RecordSpec) -> Option<(u128, u128)> {
    let (mut end, mut max_align) = (0u128, 1u128);
    for m in &spec.members {
        let (s, a) = (ELEMENTS[m.element].1, ELEMENTS[m.element].2);
        let size = array_size(s, &m.dims)?;
        let align = a.max(m.aligned.unwrap_or(1));
        let start = round_up(end, align);
        end = start + size;
        if end > MAX_OBJECT {
            return None;
        }
        max_align = max_align.max(align);
    }
    let size = round_up(end, max_align);
    (size <= MAX_OBJECT).then_some((size.max(1), max_align))
}

fn is_plain(spec: &RecordSpec) -> bool {
    let good_align = |a: Option<u128>| a.is_none_or(|a| a.is_power_of_two() && a <= 1 << 28);
    !spec.union
        && !spec.packed
        && spec.pack.is_none()
        && spec.aligned.is_none()
        && spec
            .members
            .iter()
            .all(|m| m.bits.is_none() && !m.packed && good_align(m.aligned))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn fields_lie_inside_sizeof_or_the_record_is_refused(spec in record()) {
        let mut t = Types::new();
        let text = source(&spec, None);
        match t.cdef(&text, &options(&spec)) {
            Ok(()) => {
                let name = if spec.union { "union r" } else { "struct r" };
                check_inside(&mut t, name)?;
                if is_plain(&spec) {
                    let id = t.parse_type(name).unwrap();
                    let got = t.size_align(id).unwrap();
                    let want = reference_size(&spec);
                    prop_assert_eq!(Some((got.0 as u128, got.1 as u128)), want, "{}", text);
                }
            }
            Err(e) => {
                prop_assert!(!e.message.is_empty());
                if is_plain(&spec) {
                    prop_assert_eq!(reference_size(&spec), None, "{} refused: {}", text, e.message);
                    // A length past `unsigned long long` is not even a C constant.
                    let literal_too_large = spec.members.iter().flat_map(|m| &m.dims).any(|&d| d > u64::MAX as u128);
                    let kind = if literal_too_large { ErrorKind::Parse } else { ErrorKind::TooLarge };
                    prop_assert_eq!(e.kind, kind, "{}", e.message);
                }
            }
        }
    }

    #[test]
    fn records_of_records_stay_inside_too(inner in record(), outer in record()) {
        let mut t = Types::new();
        if t.cdef(&source(&inner, None).replace(" r {", " q {"), &options(&inner)).is_err() {
            return Ok(());
        }
        let inner_name = if inner.union { "union q" } else { "struct q" };
        let mut outer = outer;
        if outer.members.is_empty() {
            outer.members.push(MemberSpec {
                element: 0, dims: vec![2], bits: None, aligned: None, packed: false,
            });
        }
        outer.members[0].bits = None;
        if t.cdef(&source(&outer, Some(inner_name)), &options(&outer)).is_ok() {
            let name = if outer.union { "union r" } else { "struct r" };
            check_inside(&mut t, name)?;
        }
    }

    #[test]
    fn array_type_strings_are_sized_or_refused(element in 0..ELEMENTS.len(), dims in prop::collection::vec(big(), 1..4)) {
        let mut t = Types::new();
        let mut text = ELEMENTS[element].0.to_string();
        for d in &dims {
            text.push_str(&format!("[{d}]"));
        }
        let want = array_size(ELEMENTS[element].1, &dims);
        match t.parse_type(&text) {
            Ok(id) => prop_assert_eq!(Some(t.size_of(id).unwrap() as u128), want),
            Err(e) => prop_assert!(
                want.is_none() || dims.iter().any(|&d| d > u64::MAX as u128),
                "{} refused: {}", text, e.message
            ),
        }
    }
}
