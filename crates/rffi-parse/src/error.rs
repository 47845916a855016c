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
            shown, self.line, self.column, self.message
        )
    }
}
