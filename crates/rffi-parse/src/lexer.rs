//! A light tokenizer for the checks made before lang-c sees the text (nesting
//! limits, typename discovery, function bodies, K&R lists, struct attributes).
//! It only needs to find token boundaries; lang-c does the real grammar.

/// What a token is, as far as the pre-checks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ident,
    Number,
    /// A string or character literal, quotes included.
    Literal,
    /// One ASCII punctuation character, or `...`.
    Punct,
    /// A character that is not part of C's source character set.
    Stray,
}

/// A token: its kind and byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    pub(crate) fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    pub(crate) fn is_punct(&self, text: &str, p: &str) -> bool {
        self.kind == Kind::Punct && self.text(text) == p
    }
}

/// Splits comment-free text into tokens.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 4);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let (kind, end) = token_at(text, i);
        tokens.push(Token {
            kind,
            start: i,
            end,
        });
        i = end;
    }
    tokens
}

fn token_at(text: &str, i: usize) -> (Kind, usize) {
    let bytes = text.as_bytes();
    let b = bytes[i];
    match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'_' => (Kind::Ident, scan_while(bytes, i, word_byte)),
        b'0'..=b'9' => (
            Kind::Number,
            scan_while(bytes, i, |c| word_byte(c) || c == b'.'),
        ),
        b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => (
            Kind::Number,
            scan_while(bytes, i, |c| word_byte(c) || c == b'.'),
        ),
        b'"' | b'\'' => (Kind::Literal, literal_end(bytes, i)),
        b'.' if text[i..].starts_with("...") => (Kind::Punct, i + 3),
        _ if b.is_ascii_graphic() => (Kind::Punct, i + 1),
        _ => {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            (Kind::Stray, i + len)
        }
    }
}

fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn scan_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

/// The end of a literal opened at `i`: after its closing quote, or at the end
/// of the line when it is unterminated (lang-c then reports the error).
fn literal_end(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() && bytes[j] != b'\n' {
        match bytes[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    j.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn splits_c_tokens() {
        use Kind::*;
        assert_eq!(
            kinds("int f(char *s, ...) x_1 0x1fUL 'a' \"s\\\"\";"),
            vec![
                (Ident, "int"),
                (Ident, "f"),
                (Punct, "("),
                (Ident, "char"),
                (Punct, "*"),
                (Ident, "s"),
                (Punct, ","),
                (Punct, "..."),
                (Punct, ")"),
                (Ident, "x_1"),
                (Number, "0x1fUL"),
                (Literal, "'a'"),
                (Literal, "\"s\\\"\""),
                (Punct, ";"),
            ]
        );
    }

    #[test]
    fn non_ascii_outside_literals_is_stray() {
        assert_eq!(
            kinds("é \"é\""),
            vec![(Kind::Stray, "é"), (Kind::Literal, "\"é\"")]
        );
    }

    #[test]
    fn unterminated_literals_stop_at_the_line_end() {
        assert_eq!(
            kinds("'ab\nc"),
            vec![(Kind::Literal, "'ab"), (Kind::Ident, "c")]
        );
        assert_eq!(kinds("\"\\"), vec![(Kind::Literal, "\"\\")]);
    }
}
