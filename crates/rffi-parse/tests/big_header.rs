//! Parse time of a generated ~9000-line header. Ignored by default (tests never
//! assert on time); run it with
//! `cargo test --release -p rffi-parse --test big_header -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use rffi_parse::{parse_cdef, Decl};

const TYPES: &[&str] = &[
    "int",
    "unsigned int",
    "long",
    "double",
    "char *",
    "float",
    "short",
    "unsigned long long",
    "void *",
    "size_t",
    "const char *",
    "struct s0 *",
];

/// A header of 300 #defines, 100 enums, 400 structs of 2–12 fields and 4000
/// function declarations, varied by a fixed pseudo-random sequence.
fn header() -> String {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut out = String::new();
    for i in 0..300 {
        out.push_str(&format!("#define C{i} {}\n", i * 3));
    }
    for i in 0..100 {
        out.push_str(&format!("enum e{i} {{\n"));
        for j in 0..8 {
            out.push_str(&format!("  E{i}_{j} = {j},\n"));
        }
        out.push_str("};\n");
    }
    for i in 0..400 {
        out.push_str(&format!("struct s{i} {{\n"));
        for j in 0..2 + next(11) {
            out.push_str(&format!("  {} f{j};\n", TYPES[next(TYPES.len())]));
        }
        out.push_str("};\n");
    }
    for i in 0..4000 {
        let params: Vec<String> = (0..next(5))
            .map(|k| format!("{} a{k}", TYPES[next(TYPES.len())]))
            .collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        out.push_str(&format!("{} fn{i}({params});\n", TYPES[next(TYPES.len())]));
    }
    out
}

#[test]
#[ignore]
fn big_header_parse_time() {
    let text = header();
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..10 {
        let start = Instant::now();
        let decls = parse_cdef(&text, &|_| false).expect("the header parses");
        best = best.min(start.elapsed());
        count = decls.len();
    }
    let functions = 4000;
    assert_eq!(count, 300 + 100 + 400 + functions);
    println!(
        "{} lines, {} bytes: best of 10 {:?}",
        text.lines().count(),
        text.len(),
        best
    );
}

#[test]
fn big_header_parses_with_every_declaration() {
    let decls = parse_cdef(&header(), &|_| false).expect("the header parses");
    assert_eq!(
        decls
            .iter()
            .filter(|d| matches!(d, Decl::Define { .. }))
            .count(),
        300
    );
    assert_eq!(
        decls
            .iter()
            .filter(|d| matches!(d, Decl::Function { .. }))
            .count(),
        4000
    );
}
