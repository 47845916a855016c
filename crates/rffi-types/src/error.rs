use rffi_parse::{ParseError, Pos};

/// Which kind of mistake an error reports; the bindings map it to the
/// exception cffi raises for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not C of the cdef dialect (cffi: `CDefError`).
    Parse,
    /// The text parses but declares something invalid or unknown (`CDefError`).
    Declaration,
    /// A name declared twice in different ways (cffi: `FFIError`).
    Redeclaration,
    /// A type whose size is asked but unknown: opaque, void, function (`ValueError`).
    UnknownSize,
    /// A struct or union has no such field (`KeyError`).
    NoSuchField,
    /// An operation the type does not support (`TypeError`).
    Unsupported,
    /// A value out of range: negative array length, division by zero (`ValueError`).
    BadValue,
    /// A type declared with cffi's `...` that only a compiler could complete:
    /// a partial struct or enum (cffi: `VerificationMissing`).
    VerificationMissing,
    /// Something only API mode can give: the value of a non-integer
    /// constant, a `typedef int... t;` (cffi: `NotImplementedError`).
    NotImplemented,
    /// cffi's `[...]` where no compiler could fill it in: a parameter or a
    /// type string (cffi: `FFIError`).
    Misplaced,
    /// A type larger than the largest object of the target, `PTRDIFF_MAX`
    /// bytes (cffi: `OverflowError`, "array size would overflow a Py_ssize_t").
    TooLarge,
    /// A struct or union whose members cannot be laid out (`float x:1`,
    /// `char x:9`, a member of unknown size): accepted by `cdef`, refused
    /// when the record is used (cffi: `TypeError`).
    BadLayout,
}

/// An error of the type model: what went wrong, and where when it came from source text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TypeError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TypeError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> TypeError {
        TypeError {
            kind,
            message: message.into(),
        }
    }

    /// Names the member whose type is too large (other errors name what
    /// they are about already).
    pub(crate) fn in_field(mut self, name: Option<&str>) -> TypeError {
        if self.kind == ErrorKind::TooLarge {
            let name = name.unwrap_or("<anonymous>");
            self.message = format!("field '{name}': {}", self.message);
        }
        self
    }

    /// Adds the position and the text of the offending line, the way parse
    /// errors show them.
    pub fn located(mut self, pos: Pos, source: &str) -> TypeError {
        if pos.line == 0 {
            return self;
        }
        let line = source.lines().nth(pos.line as usize - 1).unwrap_or("");
        self.message = format!(
            "{} at line {}, column {}: \"{}\"",
            self.message,
            pos.line,
            pos.column,
            line.trim()
        );
        self
    }
}

impl From<ParseError> for TypeError {
    fn from(e: ParseError) -> TypeError {
        TypeError::new(ErrorKind::Parse, e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, TypeError>;
