use std::fmt;

/// A parse failure: where it happened, the offending line and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The whole source when it is one line, otherwise empty (the message then
    /// shows `line_text`).
    pub source_snippet: String,
    /// The line of the error in the user's text, from 1.
    pub line: u32,
    /// The column of the error on that line, from 1, counted in characters.
    pub column: u32,
    /// The text of the offending line.
    pub line_text: String,
    /// What the parser wanted or why it refused, e.g. "expected a declarator".
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.source_snippet.is_empty() {
            &self.line_text
        } else {
            &self.source_snippet
        };
        write!(
            f,
            "cannot parse \"{}\" at line {}, column {}: {}",
            excerpt(shown, self.column as usize),
            self.line,
            self.column,
            self.message
        )
    }
}

/// How many characters of a long line a message shows around the error.
const EXCERPT_CHARS: usize = 160;

/// The text around `column` (from 1, in characters) when `text` is too long to
/// quote whole, with `...` where it was cut: a generated 100,000-character
/// declaration must not make a 100,000-character message.
fn excerpt(text: &str, column: usize) -> String {
    let len = text.chars().count();
    if len <= EXCERPT_CHARS {
        return text.to_string();
    }
    let start = column
        .saturating_sub(1 + EXCERPT_CHARS / 2)
        .min(len - EXCERPT_CHARS);
    let end = start + EXCERPT_CHARS;
    let middle: String = text.chars().skip(start).take(EXCERPT_CHARS).collect();
    let head = if start > 0 { "..." } else { "" };
    let tail = if end < len { "..." } else { "" };
    format!("{head}{middle}{tail}")
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn short_text_is_quoted_whole() {
        assert_eq!(excerpt("int f(int;", 10), "int f(int;");
    }

    #[test]
    fn long_text_is_cut_around_the_column() {
        let text = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let shown = excerpt(&text, 1001);
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert!(shown.contains('X'));
        assert_eq!(shown.chars().count(), 160 + 6);
        // Near either end only one side is cut.
        assert!(!excerpt(&text, 1).starts_with("..."));
        assert!(!excerpt(&text, 2001).ends_with("..."));
    }
}
