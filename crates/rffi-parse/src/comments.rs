//! Comment removal. lang-c expects preprocessed text, so comments are blanked
//! here: every character of a comment becomes spaces of the same byte length
//! (newlines stay), which keeps every offset and line number of the user's text.

/// An unterminated block comment, at the offset of its `/*`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UnterminatedComment(pub(crate) usize);

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Quoted(char),
    Escape(char),
    Line,
    Block,
}

/// Returns `text` with comments blanked; string and character literals are
/// left alone, so `"/*"` is not a comment.
pub(crate) fn strip_comments(text: &str) -> Result<String, UnterminatedComment> {
    if !text.contains("/*") && !text.contains("//") {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut state = State::Code;
    let mut block_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        state = match (state, c) {
            (State::Code, '/') if next == Some('/') => State::Line,
            (State::Code, '/') if next == Some('*') => {
                block_start = i;
                chars.next();
                out.push(' ');
                State::Block
            }
            (State::Code, '"' | '\'') => State::Quoted(c),
            (State::Quoted(q), '\\') => State::Escape(q),
            (State::Quoted(q), _) if c == q || c == '\n' => State::Code,
            (State::Escape(q), _) => State::Quoted(q),
            (State::Line, '\n') => State::Code,
            (State::Block, '*') if next == Some('/') => {
                chars.next();
                out.push_str("  ");
                state = State::Code;
                continue;
            }
            (s, _) => s,
        };
        push_kept(&mut out, state, c);
    }
    match state {
        State::Block => Err(UnterminatedComment(block_start)),
        _ => Ok(out),
    }
}

fn push_kept(out: &mut String, state: State, c: char) {
    let blank = matches!(state, State::Line | State::Block) && c != '\n';
    if blank {
        out.extend(std::iter::repeat_n(' ', c.len_utf8()));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_both_kinds_and_keeps_offsets() {
        let src = "int a; // tail é\n/* x\n y */int b;";
        let out = strip_comments(src).unwrap();
        assert_eq!(out.len(), src.len());
        assert_eq!(out, "int a;           \n    \n     int b;");
    }

    #[test]
    fn literals_are_not_comments() {
        let src = "char *s = \"/* no */\"; int c = '\\'' /* yes */;";
        let out = strip_comments(src).unwrap();
        assert!(out.contains("\"/* no */\""));
        assert!(!out.contains("yes"));
    }

    #[test]
    fn unterminated_block_is_reported_at_its_start() {
        assert_eq!(strip_comments("int a; /* x"), Err(UnterminatedComment(7)));
        assert_eq!(strip_comments("/*/"), Err(UnterminatedComment(0)));
    }
}
