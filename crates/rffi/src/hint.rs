//! What the facade adds to messages: the name of an unknown type in a parse
//! error, and the declaration as the user wrote it (with its `const`s) in a
//! signature error.

/// The words of C that are not type names a user declares.
const KEYWORDS: &[&str] = &[
    "auto",
    "char",
    "const",
    "double",
    "enum",
    "extern",
    "float",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "short",
    "signed",
    "static",
    "struct",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "_Bool",
    "_Complex",
    "__restrict",
    "__const",
];

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `unknown type name 'foo_t'` when a parse error of `source` (whose
/// `message` ends in "at line L, column C: ...") stops on a declarator right
/// after an identifier that `is_type` does not know: `int g(foo_t x);`.
pub(crate) fn unknown_type(
    source: &str,
    message: &str,
    mut is_type: impl FnMut(&str) -> bool,
) -> Option<String> {
    let (line, column) = position(message)?;
    let text: Vec<char> = source.lines().nth(line.checked_sub(1)?)?.chars().collect();
    let here = *text.get(column.checked_sub(1)?)?;
    if !(is_ident(here) || here == '*') {
        return None;
    }
    let before = &text[..column - 1];
    let end = before.iter().rposition(|c| !c.is_whitespace())? + 1;
    let start = before[..end]
        .iter()
        .rposition(|&c| !is_ident(c))
        .map_or(0, |i| i + 1);
    let word: String = before[start..end].iter().collect();
    let plausible = !word.is_empty()
        && !word.starts_with(|c: char| c.is_ascii_digit())
        && !KEYWORDS.contains(&word.as_str());
    (plausible && !is_type(&word)).then(|| format!("unknown type name '{word}'"))
}

/// The line and column of a message that ends in "at line L, column C...".
pub(crate) fn position(message: &str) -> Option<(usize, usize)> {
    let at = message.rfind("at line ")?;
    let rest = &message[at + "at line ".len()..];
    let (line, rest) = rest.split_once(", column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// The text of the declaration of function `name` in `source`, from the
/// start of the declaration to the end of its parameter list, with runs of
/// white space made one space: `size_t strlen(const char *s)`.
pub(crate) fn declaration_text(source: &str, name: &str) -> Option<String> {
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(i) = source[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let bounded_before = i == 0 || !is_ident(bytes[i - 1] as char);
        let after = source[from..].trim_start();
        if !bounded_before || !after.starts_with('(') {
            continue;
        }
        let open = source.len() - after.len();
        let mut depth = 0;
        let close = source[open..].char_indices().find_map(|(j, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(open + j)
        })?;
        let start = source[..i].rfind([';', '}', '{']).map_or(0, |s| s + 1);
        let text = &source[start..=close];
        let text = strip_comments(text);
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = words.join(" ");
        let joined = joined
            .strip_prefix("extern ")
            .unwrap_or(&joined)
            .to_string();
        return Some(joined);
    }
    None
}

/// `text` without `/* */` and `//` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                rest = rest[b..].find("*/").map_or("", |e| &rest[b + e + 2..]);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |e| &rest[l + e..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_type_names_are_found_before_the_declarator() {
        let known = |w: &str| w == "size_t";
        let hint = |src: &str, msg: &str| unknown_type(src, msg, known);
        assert_eq!(
            hint(
                "int g(foo_t x);",
                "... at line 1, column 13: expected ')' or ','"
            ),
            Some("unknown type name 'foo_t'".into())
        );
        assert_eq!(
            hint(
                "int f(int);\nint g(foo_t *x);",
                "... at line 2, column 13: expected"
            ),
            Some("unknown type name 'foo_t'".into())
        );
        assert_eq!(
            hint("int g(size_t x);", "... at line 1, column 14: x"),
            None
        );
        assert_eq!(
            hint("int g(int;", "... at line 1, column 10: expected"),
            None
        );
        assert_eq!(hint("int g(foo_t x);", "no position"), None);
    }

    #[test]
    fn declarations_are_quoted_as_written() {
        let src = "/* libc */\nsize_t strlen(const char *s);\nextern int  printf(const char *fmt,\n   ...); // out";
        assert_eq!(
            declaration_text(src, "strlen").as_deref(),
            Some("size_t strlen(const char *s)")
        );
        assert_eq!(
            declaration_text(src, "printf").as_deref(),
            Some("int printf(const char *fmt, ...)")
        );
        assert_eq!(declaration_text(src, "len"), None);
    }
}
