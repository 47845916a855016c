//! Byte offsets in the user's text to 1-based line/column positions and errors.

use crate::ast::Pos;
use crate::error::ParseError;

/// The user's source with its line starts, for turning offsets into positions.
pub(crate) struct SourceText<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Whether each line is all ASCII, so that a column is a byte count: a
    /// position then costs no scan of its line (one long line of many
    /// declarations would make that quadratic).
    ascii_lines: Vec<bool>,
}

impl<'a> SourceText<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let ascii_lines = text.split('\n').map(str::is_ascii).collect();
        SourceText {
            text,
            line_starts,
            ascii_lines,
        }
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The position of a byte offset; columns count characters, not bytes.
    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = if self.ascii_lines[line] {
            offset - start + 1
        } else {
            self.text[start..offset].chars().count() + 1
        };
        Pos {
            line: clamp_u32(line + 1),
            column: clamp_u32(column),
        }
    }

    /// A [`ParseError`] at `offset` with the offending line and `message`.
    pub(crate) fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        let pos = self.pos(offset);
        let line_text = self.line_text(pos.line as usize - 1);
        let trimmed = self.text.trim_end_matches(['\n', '\r']);
        let source_snippet = if trimmed.contains('\n') {
            String::new()
        } else {
            trimmed.to_string()
        };
        ParseError {
            source_snippet,
            line: pos.line,
            column: pos.column,
            line_text,
            message: message.into(),
        }
    }

    fn line_text(&self, line: usize) -> String {
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r').to_string()
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = SourceText::new("ab\ncé d\n");
        assert_eq!(src.pos(0), Pos { line: 1, column: 1 });
        assert_eq!(src.pos(3), Pos { line: 2, column: 1 });
        assert_eq!(src.pos(7), Pos { line: 2, column: 4 });
        assert_eq!(src.pos(100), Pos { line: 3, column: 1 });
    }

    #[test]
    fn errors_show_the_whole_source_only_when_it_is_one_line() {
        let one = SourceText::new("int f(int;");
        assert_eq!(one.error(9, "x").source_snippet, "int f(int;");
        let two = SourceText::new("int a;\nint f(int;\n");
        let e = two.error(16, "x");
        assert_eq!(e.source_snippet, "");
        assert_eq!(e.line_text, "int f(int;");
        assert_eq!((e.line, e.column), (2, 10));
    }
}
