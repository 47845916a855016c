//! cffi's additions to C, rewritten into plain C before lang-c sees the text.
//!
//! cffi's cdef accepts things no C compiler does: `...` standing for what only
//! a compiler could fill in (`typedef ... t;`, `struct s { int x; ...; }`,
//! `enum e { A, ... }`, `int a[...]`, `typedef int... t;`), `extern "Python"`
//! declarations, and calling-convention words (`__stdcall`, `WINAPI`,
//! `__cdecl`) that mean nothing off 32-bit Windows. cffi also ignores
//! `_Alignas(...)`. Each rewrite keeps every byte offset: a `...` becomes a
//! three-letter marker identifier, ignored words become spaces. The
//! conversion from lang-c's tree recognises a marker by its offset, so a user
//! identifier that happens to be spelled like one is never mistaken for it.

use std::collections::{HashMap, HashSet};

use crate::guard::Refusal;
use crate::lexer::{Kind, Token};

/// Marker for `...` used as a type: `typedef ... t;` and `...;` in a struct body.
pub(crate) const OPAQUE: &str = "__D";
/// Marker for `int...` (any run of integer keywords before `...`).
pub(crate) const INTEGER: &str = "__I";
/// Marker for `float...` and `double...`.
pub(crate) const FLOAT: &str = "__F";
/// Marker for `...` used as a name or value: the last enumerator, an array length.
pub(crate) const VALUE: &str = "__E";

/// What the rewrite found, keyed by offsets that are the same in the user's text.
#[derive(Debug, Default)]
pub(crate) struct Dialect {
    /// Offsets where a marker identifier replaced a `...`.
    pub(crate) dots: HashSet<usize>,
    /// `extern "Python"` declarations: byte ranges of the user's text.
    pub(crate) extern_python: Vec<(usize, usize)>,
}

impl Dialect {
    /// Whether the marker type names must be declared to lang-c.
    pub(crate) fn is_marker_type(&self, name: &str) -> bool {
        !self.dots.is_empty() && [OPAQUE, INTEGER, FLOAT].contains(&name)
    }

    /// Whether the declaration starting at `offset` is inside `extern "Python"`.
    pub(crate) fn in_extern_python(&self, offset: usize) -> bool {
        self.extern_python
            .iter()
            .any(|&(start, end)| (start..end).contains(&offset))
    }
}

/// Words cffi drops: calling conventions (ignored off 32-bit Windows).
const CALLING_CONVENTIONS: &[&str] = &["__stdcall", "WINAPI", "__cdecl"];
const INTEGER_WORDS: &[&str] = &["int", "long", "short", "signed", "unsigned", "char"];

/// Whether `text` may hold anything [`rewrite`] changes: most sources hold
/// none of it, and are spared the second tokenization.
pub(crate) fn may_need_rewrite(text: &str) -> bool {
    text.contains("...")
        || text.contains("extern")
        || text.contains("_Alignas")
        || CALLING_CONVENTIONS.iter().any(|w| text.contains(w))
}

/// Rewrites `text` in place (same length, same offsets); `tokens` are its tokens.
pub(crate) fn rewrite(text: &mut String, tokens: &[Token]) -> Result<Dialect, Refusal> {
    let mut edits: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut dialect = Dialect::default();
    let word = |i: usize| {
        tokens
            .get(i)
            .filter(|t| t.kind == Kind::Ident)
            .map(|t| t.text(text))
    };
    let punct = |i: usize, p: &str| tokens.get(i).is_some_and(|t| t.is_punct(text, p));
    let closers = matching_closers(text, tokens);
    let enum_bodies = enum_bodies(text, tokens);
    let mut open_braces: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let here = t.text(text);
        match t.kind {
            Kind::Ident if CALLING_CONVENTIONS.contains(&here) => {
                edits.push((t.start, t.end, ""));
            }
            Kind::Ident if here == "_Alignas" && punct(i + 1, "(") => {
                let close = closers.get(&(i + 1)).copied().unwrap_or(i + 1);
                edits.push((t.start, tokens[close].end, ""));
                i = close;
            }
            Kind::Ident if here == "extern" && python_literal(text, tokens.get(i + 1)) => {
                let range = extern_python(text, tokens, i, &closers, &mut edits)?;
                dialect.extern_python.push(range);
            }
            Kind::Ident if here == "extern" => {
                if let Some(literal) = tokens.get(i + 1).filter(|t| t.kind == Kind::Literal) {
                    return Err(Refusal {
                        offset: literal.start,
                        message: format!(
                            "extern {} is not accepted in cdef: declarations are C already, \
                             remove it (only extern \"Python\" and extern \"Python+C\" are accepted)",
                            literal.text(text)
                        ),
                    });
                }
            }
            Kind::Punct if here == "{" => open_braces.push(i),
            Kind::Punct if here == "}" => {
                open_braces.pop();
            }
            Kind::Punct if here == "..." => {
                let in_enum = open_braces.last().is_some_and(|b| enum_bodies.contains(b));
                let variadic = (i > 0 && punct(i - 1, ",")) && punct(i + 1, ")");
                let marker = dots_marker(i, in_enum, &word, &punct);
                if marker.is_none() && !variadic {
                    return Err(misplaced(i, t.start, &punct));
                }
                if let Some(marker) = marker {
                    let start = match marker {
                        INTEGER | FLOAT => run_start(i, &word),
                        _ => i,
                    };
                    edits.push((tokens[start].start, t.end, marker));
                    dialect.dots.insert(tokens[start].start);
                }
            }
            _ => {}
        }
        i += 1;
    }
    apply(text, &mut edits);
    Ok(dialect)
}

/// The marker for the `...` at token `i`, or `None` where it is C's own
/// (a variadic parameter list) or a place cffi does not accept it either.
fn dots_marker<'t>(
    i: usize,
    in_enum: bool,
    word: &dyn Fn(usize) -> Option<&'t str>,
    punct: &dyn Fn(usize, &str) -> bool,
) -> Option<&'static str> {
    let before = i.checked_sub(1);
    let prev_word = before.and_then(word);
    let after_punct = |p: &str| before.is_some_and(|b| punct(b, p));
    if prev_word == Some("typedef") {
        return Some(OPAQUE);
    }
    if prev_word.is_some_and(|w| INTEGER_WORDS.contains(&w)) {
        return Some(INTEGER);
    }
    if matches!(prev_word, Some("float" | "double")) {
        return Some(FLOAT);
    }
    if after_punct("[") && punct(i + 1, "]") {
        return Some(VALUE);
    }
    if in_enum && (after_punct(",") || after_punct("{")) && punct(i + 1, "}") {
        return Some(VALUE);
    }
    if !in_enum && (after_punct(";") || after_punct("{")) && punct(i + 1, ";") {
        return Some(OPAQUE);
    }
    None
}

/// The refusal for a `...` that is neither cffi's nor a variadic parameter list.
fn misplaced(i: usize, offset: usize, punct: &dyn Fn(usize, &str) -> bool) -> Refusal {
    let message = if i > 0 && punct(i - 1, "(") && punct(i + 1, ")") {
        "a function with only '(...)' as argument is not correct C: give at least one parameter \
         before '...'"
    } else {
        "'...' is accepted only as in 'typedef ... name;', 'typedef int... name;', \
         'struct s { int x; ...; };', 'enum e { A, ... };', 'int a[...];' and after the \
         parameters of a variadic function"
    };
    Refusal {
        offset,
        message: message.into(),
    }
}

/// The first token of the run of integer (or float) keywords ending before `i`.
fn run_start<'t>(i: usize, word: &dyn Fn(usize) -> Option<&'t str>) -> usize {
    let mut start = i;
    while start > 0
        && word(start - 1)
            .is_some_and(|w| INTEGER_WORDS.contains(&w) || w == "float" || w == "double")
    {
        start -= 1;
    }
    start
}

fn python_literal(text: &str, token: Option<&Token>) -> bool {
    token.is_some_and(|t| {
        t.kind == Kind::Literal && matches!(t.text(text), "\"Python\"" | "\"Python+C\"")
    })
}

/// Blanks `extern "Python"` (and the braces of a block) starting at token
/// `i`; the range of user text whose declarations it covers.
fn extern_python(
    text: &str,
    tokens: &[Token],
    i: usize,
    closers: &HashMap<usize, usize>,
    edits: &mut Vec<(usize, usize, &'static str)>,
) -> Result<(usize, usize), Refusal> {
    let literal = &tokens[i + 1];
    let start = tokens[i].start;
    if tokens.get(i + 2).is_some_and(|t| t.is_punct(text, "{")) {
        let close = closers.get(&(i + 2)).copied().ok_or_else(|| Refusal {
            offset: tokens[i + 2].start,
            message: "unbalanced '{'".into(),
        })?;
        edits.push((start, tokens[i + 2].end, ""));
        edits.push((tokens[close].start, tokens[close].end, ""));
        return Ok((start, tokens[close].end));
    }
    // `extern "Python" static int f(int);` is valid: the `extern` goes too.
    edits.push((start, literal.end, ""));
    let end = tokens[i..]
        .iter()
        .find(|t| t.is_punct(text, ";"))
        .map_or(text.len(), |t| t.end);
    Ok((start, end))
}

/// For every `(`, `[` and `{` token, the index of its closer.
fn matching_closers(text: &str, tokens: &[Token]) -> HashMap<usize, usize> {
    let mut open: Vec<usize> = Vec::new();
    let mut closers = HashMap::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != Kind::Punct {
            continue;
        }
        match t.text(text) {
            "(" | "[" | "{" => open.push(i),
            ")" | "]" | "}" => {
                if let Some(o) = open.pop() {
                    closers.insert(o, i);
                }
            }
            _ => {}
        }
    }
    closers
}

/// Indexes of the `{` tokens that open enum bodies (`enum {`, `enum name {`).
fn enum_bodies(text: &str, tokens: &[Token]) -> HashSet<usize> {
    let is_enum = |i: usize| tokens[i].kind == Kind::Ident && tokens[i].text(text) == "enum";
    (1..tokens.len())
        .filter(|&i| tokens[i].is_punct(text, "{"))
        .filter(|&i| {
            is_enum(i - 1) || (i >= 2 && tokens[i - 1].kind == Kind::Ident && is_enum(i - 2))
        })
        .collect()
}

/// Writes the edits: each replaces a range by a marker padded with spaces (or
/// by spaces alone). Newlines inside a range stay, so lines keep their numbers.
fn apply(text: &mut String, edits: &mut [(usize, usize, &'static str)]) {
    edits.sort_by_key(|e| e.0);
    let mut bytes = std::mem::take(text).into_bytes();
    for &(start, end, marker) in edits.iter() {
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        bytes[start..start + marker.len()].copy_from_slice(marker.as_bytes());
    }
    // Only ASCII bytes were written, over whole tokens: the text stays UTF-8.
    *text = String::from_utf8(bytes).unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn rewritten(src: &str) -> (String, Dialect) {
        let mut text = src.to_string();
        let tokens = tokenize(&text);
        let d = rewrite(&mut text, &tokens).unwrap();
        assert_eq!(text.len(), src.len());
        (text, d)
    }

    #[test]
    fn dots_become_markers_of_the_same_length() {
        assert_eq!(rewritten("typedef ... t;").0, "typedef __D t;");
        assert_eq!(rewritten("typedef ... *t;").0, "typedef __D *t;");
        assert_eq!(
            rewritten("struct s { int x; ...; };").0,
            "struct s { int x; __D; };"
        );
        assert_eq!(rewritten("struct s { ...; };").0, "struct s { __D; };");
        assert_eq!(rewritten("enum e { A, ... };").0, "enum e { A, __E };");
        assert_eq!(rewritten("enum { ... };").0, "enum { __E };");
        assert_eq!(rewritten("int a[...];").0, "int a[__E];");
        assert_eq!(
            rewritten("typedef unsigned long... t;").0,
            "typedef __I              t;"
        );
        assert_eq!(rewritten("typedef double... t;").0, "typedef __F       t;");
        let (text, d) = rewritten("int f(int, ...);");
        assert_eq!((text.as_str(), d.dots.len()), ("int f(int, ...);", 0));
    }

    #[test]
    fn other_dots_and_extern_literals_are_refused_with_what_to_write() {
        let refusal = |src: &str| {
            let mut text = src.to_string();
            rewrite(&mut text, &tokenize(src)).unwrap_err()
        };
        let r = refusal("struct s { int x; ... };");
        assert_eq!(r.offset, 18);
        assert!(
            r.message.contains("'struct s { int x; ...; };'"),
            "{}",
            r.message
        );
        assert!(refusal("int f(...);")
            .message
            .contains("at least one parameter"));
        assert!(refusal("enum e { A, ..., B };")
            .message
            .contains("'enum e { A, ... };'"));
        let r = refusal("extern \"C\" int f(int);");
        assert_eq!(r.offset, 7);
        assert!(r.message.contains("remove it"), "{}", r.message);
    }

    #[test]
    fn calling_conventions_and_alignas_are_blanked() {
        assert_eq!(
            rewritten("int __stdcall f(int (WINAPI *)(void));").0,
            "int           f(int (       *)(void));"
        );
        assert_eq!(
            rewritten("struct s { _Alignas(8) int x; };").0,
            "struct s {             int x; };"
        );
    }

    #[test]
    fn extern_python_is_blanked_and_its_range_kept() {
        let (text, d) = rewritten("extern \"Python\" int cb(int); int f(void);");
        assert_eq!(text, "                int cb(int); int f(void);");
        assert_eq!(d.extern_python, vec![(0, 28)]);
        assert!(d.in_extern_python(7) && !d.in_extern_python(30));
        let (text, d) = rewritten("extern \"Python+C\" {\nint a(int);\n}\nint b;");
        assert_eq!(text, format!("{}\nint a(int);\n \nint b;", " ".repeat(19)));
        assert!(d.in_extern_python(20) && !d.in_extern_python(34));
    }
}
