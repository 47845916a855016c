//! No input makes the parser panic, loop, or fall back on its panic catcher.

use std::sync::atomic::Ordering;

use proptest::prelude::*;
use rffi_parse::{parse_cdef, parse_type, LANG_C_PANICS};

const TOKENS: &[&str] = &[
    "int",
    "char",
    "unsigned",
    "long",
    "void",
    "const",
    "typedef",
    "struct",
    "union",
    "enum",
    "known_t",
    "size_t",
    "x",
    "y",
    "f",
    "*",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    ":",
    "=",
    "...",
    "-",
    "<<",
    "~",
    "?",
    "0",
    "1",
    "0x1fUL",
    "'a'",
    "\"s\"",
    "#define",
    "#include",
    "\n",
    "/*",
    "*/",
    "//",
    "__attribute__",
    "((packed))",
    "aligned",
    "sizeof",
    "__restrict",
    "\\",
];

fn parse_both(text: &str) {
    let is_typename = |name: &str| name == "known_t";
    let _ = parse_cdef(text, &is_typename);
    let _ = parse_type(text, &is_typename);
    assert_eq!(
        LANG_C_PANICS.load(Ordering::Relaxed),
        0,
        "lang-c panicked on {text:?}"
    );
}

fn c_ish(separator: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(move |v| v.join(separator))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings(text in any::<String>()) {
        parse_both(&text);
    }

    #[test]
    fn c_ish_token_soup(text in c_ish(" ")) {
        parse_both(&text);
    }

    #[test]
    fn c_ish_token_soup_without_spaces(text in c_ish("")) {
        parse_both(&text);
    }
}

#[test]
fn pathological_nesting_and_operator_runs_are_refused_not_crashed() {
    for n in [40, 1000, 100_000] {
        for text in [
            format!("int a[{}1{}];", "(".repeat(n), ")".repeat(n)),
            format!("{}int a;", "struct { ".repeat(n)),
            format!("int a[{}1];", "-".repeat(n)),
            format!("int a[{}1];", "1?1:".repeat(n)),
            format!("int a[1{}];", "+1".repeat(n)),
            format!("int {}a;", "*".repeat(n)),
            format!("#define X {}1", "-".repeat(n)),
            format!("int{}", "(".repeat(n)),
        ] {
            parse_both(&text);
        }
    }
}

#[test]
fn inputs_just_inside_the_limits_fit_the_default_test_thread_stack() {
    let depth = 31;
    let structs = format!(
        "{}int a;{} x;",
        "struct { ".repeat(depth),
        " } y;".repeat(depth - 1) + " }"
    );
    let parens = format!("int a[{}1{}];", "(".repeat(depth), ")".repeat(depth));
    let unary = format!(
        "int a[{}{}1{}];",
        "(".repeat(depth - 1),
        "-".repeat(250),
        ")".repeat(depth - 1)
    );
    for text in [structs, parens, unary] {
        parse_both(&text);
    }
    assert!(parse_cdef(&format!("int a[{}1];", "- ".repeat(250)), &|_| false).is_ok());
}
