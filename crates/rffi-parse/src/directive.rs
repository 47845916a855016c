//! Preprocessor lines. lang-c expects preprocessed text, so directive lines are
//! taken out here (blanked, so line numbers stay right): `#define NAME value`
//! lines are kept for [`crate::define`], every other directive is refused.

use crate::guard::Refusal;

/// The message for every `#define` that is not an integer constant.
pub(crate) const ONLY_INTEGER: &str = "only supports \"#define NAME <integer constant>\"";

/// A `#define NAME value` line: the name and value with their offsets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DefineText {
    pub(crate) name: String,
    pub(crate) name_offset: usize,
    /// The value with line continuations blanked; it starts at `value_offset`.
    pub(crate) value: String,
    pub(crate) value_offset: usize,
}

/// The directives of a source that mean something: `#define`s with a value
/// and `#pragma` lines (offset of the `#`, and the line).
#[derive(Debug, Default)]
pub(crate) struct Directives {
    pub(crate) defines: Vec<DefineText>,
    pub(crate) pragmas: Vec<(usize, String)>,
}

/// What one directive line is.
enum Line {
    Define(DefineText),
    /// `#define NAME ...`: cffi's API-mode placeholder, which declares nothing
    /// in ABI mode.
    Nothing,
    Pragma,
}

/// Blanks every directive in `text` and returns the `#define`s and `#pragma`s.
pub(crate) fn take_directives(text: &mut String) -> Result<Directives, Refusal> {
    let mut found = Directives::default();
    let mut start = 0;
    while start < text.len() {
        let end = logical_line_end(text, start);
        let line = &text[start..end];
        let trimmed = line.trim_start();
        if let Some(body) = trimmed.strip_prefix('#') {
            let hash = start + line.len() - trimmed.len();
            let body = body.replace("\\\n", "  ").replace('\r', " ");
            match directive(&body, hash + 1)? {
                Line::Define(d) => found.defines.push(d),
                Line::Nothing => {}
                Line::Pragma => found.pragmas.push((hash, trimmed.trim_end().to_string())),
            }
            blank(text, start, end);
        }
        start = end + 1;
    }
    Ok(found)
}

/// The end of the line starting at `start`, following `\` continuations.
fn logical_line_end(text: &str, start: usize) -> usize {
    let mut end = start;
    loop {
        end += text[end..].find('\n').unwrap_or(text.len() - end);
        let continued = text[..end].trim_end_matches('\r').ends_with('\\');
        if !continued || end >= text.len() {
            return end;
        }
        end += 1;
    }
}

fn blank(text: &mut String, start: usize, end: usize) {
    let blanked: String = text[start..end]
        .chars()
        .flat_map(|c| {
            let n = if c == '\n' { 0 } else { c.len_utf8() };
            std::iter::repeat_n(' ', n).chain((c == '\n').then_some('\n'))
        })
        .collect();
    text.replace_range(start..end, &blanked);
}

/// One directive; `body` is the text after `#`, which starts at `offset`.
fn directive(body: &str, offset: usize) -> Result<Line, Refusal> {
    let word_start = body.len() - body.trim_start().len();
    let rest = &body[word_start..];
    let word_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let at = offset + word_start;
    let refuse = |message: String| {
        Err(Refusal {
            offset: at,
            message,
        })
    };
    match &rest[..word_len] {
        "define" => define(&rest[word_len..], at + word_len),
        "include" => {
            refuse("#include is not supported in cdef: declare what you use directly".into())
        }
        // cffi ignores #pragma lines, with a warning.
        "pragma" => Ok(Line::Pragma),
        "" => refuse("expected a preprocessor directive after '#'".into()),
        other => refuse(format!(
            "preprocessor directive #{other} is not supported in cdef"
        )),
    }
}

/// The part of `#define` after the word `define`; `rest` starts at `offset`.
fn define(rest: &str, offset: usize) -> Result<Line, Refusal> {
    let name_start = rest.len() - rest.trim_start().len();
    let after = &rest[name_start..];
    let name_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let name = &after[..name_len];
    let name_offset = offset + name_start;
    let refuse = |at: usize, message: &str| {
        Err(Refusal {
            offset: at,
            message: message.into(),
        })
    };
    if name_start == 0 || name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return refuse(name_offset, "expected a macro name after #define");
    }
    let value_raw = &after[name_len..];
    if value_raw.starts_with('(') {
        return refuse(name_offset + name_len, ONLY_INTEGER);
    }
    let value = value_raw.trim();
    let value_offset = name_offset + name_len + (value_raw.len() - value_raw.trim_start().len());
    match value {
        "" => refuse(name_offset, ONLY_INTEGER),
        "..." => Ok(Line::Nothing),
        _ => Ok(Line::Define(DefineText {
            name: name.to_string(),
            name_offset,
            value: value.to_string(),
            value_offset,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(text: &str) -> (String, Result<Vec<DefineText>, Refusal>) {
        let mut text = text.to_string();
        let r = take_directives(&mut text).map(|d| d.defines);
        (text, r)
    }

    #[test]
    fn defines_are_taken_and_their_lines_blanked() {
        let (text, r) = take("int a;\n  #define B (-3)\nint c;");
        assert_eq!(text, format!("int a;\n{}\nint c;", " ".repeat(16)));
        let d = &r.unwrap()[0];
        assert_eq!((d.name.as_str(), d.name_offset), ("B", 17));
        assert_eq!((d.value.as_str(), d.value_offset), ("(-3)", 19));
    }

    #[test]
    fn continuation_lines_belong_to_the_define() {
        let (text, r) = take("#define M (1 \\\n  << 4)\nint x;");
        assert_eq!(
            text,
            format!("{}\n{}\nint x;", " ".repeat(14), " ".repeat(7))
        );
        assert_eq!(r.unwrap()[0].value, "(1     << 4)");
    }

    #[test]
    fn other_directives_and_bad_defines_are_refused() {
        let msg = |t: &str| take(t).1.unwrap_err().message;
        assert!(msg("#include <stdio.h>").contains("#include"));
        assert!(msg("#ifdef X").contains("#ifdef"));
        assert_eq!(msg("#define F(x) x"), ONLY_INTEGER);
        assert_eq!(msg("#define E"), ONLY_INTEGER);
        assert_eq!(take("#  define X").1.unwrap_err().offset, 10);
    }

    #[test]
    fn pragmas_are_kept_and_dots_defines_declare_nothing() {
        let mut text = "int a;\n #pragma pack(1)\n#define FOO ...\n".to_string();
        let d = take_directives(&mut text).unwrap();
        assert_eq!(d.pragmas, vec![(8, "#pragma pack(1)".to_string())]);
        assert!(d.defines.is_empty());
        assert_eq!(text.trim(), "int a;");
    }
}
