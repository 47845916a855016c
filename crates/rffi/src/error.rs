//! The one error type of the crate.

use rffi_call::safe::SafeError;
use rffi_call::CallError;
use rffi_types::{ErrorKind, TypeError};

/// Everything that can go wrong, saying what and where.
///
/// Every failure of the crate is one of these variants, so a program can
/// match on what went wrong without depending on rffi's inner crates:
///
/// ```
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("double cos(double); double no_such_function(double);")?;
/// // SAFETY: libm's cos is declared as libm defines it.
/// let libm = unsafe { ffi.dlopen("m") }?;
/// match libm.call("no_such_function", &[1.0.into()]) {
///     Err(rffi::Error::NoSymbol { symbol, .. }) => assert_eq!(symbol, "no_such_function"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), rffi::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A declaration or type string was refused; the message carries the
    /// line, column and text of the offending declaration when it came from
    /// [`Ffi::cdef`](crate::Ffi::cdef).
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// let err = ffi.cdef("int f(int);\nint g(int;").unwrap_err();
    /// assert!(matches!(err, rffi::Error::Declaration { line: Some(2), column: Some(10), .. }));
    /// ```
    #[error("{message}")]
    Declaration {
        /// What kind of mistake it is.
        kind: ErrorKind,
        /// The description, with its position.
        message: String,
        /// The line of the source text, from 1, when known.
        line: Option<usize>,
        /// The column (in characters, from 1), when known.
        column: Option<usize>,
    },
    /// A library could not be opened.
    #[error("cannot load library '{library}': {reason}")]
    Open {
        /// The name given (or the last file name tried for a short name).
        library: String,
        /// The system's words.
        reason: String,
    },
    /// A declared function or variable that the library does not export.
    #[error("symbol '{symbol}' not found in library '{library}': {reason}")]
    NoSymbol {
        /// The name looked up.
        symbol: String,
        /// The library's name.
        library: String,
        /// The system's words.
        reason: String,
    },
    /// A lookup in a library after [`Library::close`](crate::Library::close).
    #[error("library '{library}' has been closed")]
    Closed {
        /// The library's name.
        library: String,
    },
    /// A name used with a library that no `cdef` declared (as that kind of symbol).
    #[error("'{name}' is not declared as a {expected}")]
    NotDeclared {
        /// The name looked up.
        name: String,
        /// `function`, `variable` or `constant`.
        expected: &'static str,
    },
    /// A call with the wrong number of arguments.
    #[error(
        "{function}() takes {}{expected} argument{}, {got} given",
        if *.variadic { "at least " } else { "" },
        if *.expected == 1 { "" } else { "s" }
    )]
    ArgumentCount {
        /// The function called.
        function: String,
        /// How many it declares (its fixed parameters when variadic).
        expected: usize,
        /// Whether it takes more after those (`...`).
        variadic: bool,
        /// How many were given.
        got: usize,
    },
    /// A value of the wrong kind for a C type: an argument, a field, an item.
    #[error("{place}: expected a value for '{ctype}', got {got}")]
    WrongType {
        /// Where: `argument 2 of add()`, `assignment`, ...
        place: String,
        /// The C type wanted.
        ctype: String,
        /// The value given.
        got: String,
    },
    /// An integer that does not fit the C type.
    #[error("{place}: {value} does not fit in '{ctype}'")]
    Overflow {
        /// Where the value was going.
        place: String,
        /// The C type.
        ctype: String,
        /// The value.
        value: String,
    },
    /// A typed handle or callback whose Rust signature differs from the C one.
    #[error("'{name}': the Rust signature {rust} does not match the C declaration {c}{}",
        .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Signature {
        /// The function or callback type.
        name: String,
        /// The Rust signature asked for.
        rust: String,
        /// The declared C type.
        c: String,
        /// Why no Rust signature can match, when that is the case.
        reason: Option<String>,
    },
    /// An index past the end of an array.
    #[error("index {index} out of range for '{ctype}'")]
    Index {
        /// The index given.
        index: usize,
        /// The array type.
        ctype: String,
    },
    /// An access outside a block of memory.
    #[error("access of {len} bytes at offset {offset} is outside a block of {size} bytes")]
    OutOfBounds {
        /// Where the access starts.
        offset: usize,
        /// Its length.
        len: usize,
        /// The block's size.
        size: usize,
    },
    /// A write to memory that is read-only: a global declared `const`, or
    /// one whose type holds pointers (writing it hands C a pointer; see
    /// [`Library::global_unchecked`](crate::Library::global_unchecked)).
    #[error("the memory is read-only ({reason})")]
    ReadOnly {
        /// Why.
        reason: String,
    },
    /// An operation that a C type does not support, such as the field of an
    /// `int` or the value of an array.
    #[error("'{ctype}': {reason}")]
    Unsupported {
        /// The C type.
        ctype: String,
        /// Why not.
        reason: String,
    },
    /// A type or value of one [`Ffi`](crate::Ffi) used with another.
    #[error("{what} belongs to another Ffi context")]
    ForeignType {
        /// What was foreign: `a type`, `argument 1 of f()`, ...
        what: String,
    },
    /// A safe call of a function that takes pointers: only
    /// [`call_unchecked`](crate::Library::call_unchecked) (an `unsafe fn`)
    /// can vouch for what C does with them.
    #[error("{function}() takes pointers: call it with the unsafe call_unchecked")]
    PassesPointers {
        /// The function.
        function: String,
    },
    /// A Rust callback panicked while C ran it during this call. The panic
    /// was printed once by the panic hook; C saw a zero result.
    #[error("a callback panicked: {message}")]
    CallbackPanicked {
        /// The panic's message.
        message: String,
    },
    /// libffi cannot pass or return a type (a packed struct, a bitfield by
    /// value), or refused a call description.
    #[error("{0}")]
    Libffi(String),
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Error {
        let (line, column) = crate::hint::position(&e.message).unzip();
        Error::Declaration {
            kind: e.kind,
            message: e.message,
            line,
            column,
        }
    }
}

impl From<CallError> for Error {
    fn from(e: CallError) -> Error {
        match e {
            CallError::Open { name, reason } => Error::Open {
                library: name,
                reason,
            },
            CallError::NoSymbol {
                symbol,
                library,
                reason,
            } => Error::NoSymbol {
                symbol,
                library,
                reason,
            },
            CallError::Closed(library) => Error::Closed { library },
            e @ (CallError::Unsupported { .. } | CallError::Libffi(_)) => {
                Error::Libffi(e.to_string())
            }
        }
    }
}

impl From<SafeError> for Error {
    fn from(e: SafeError) -> Error {
        match e {
            SafeError::OutOfBounds { offset, len, size } => {
                Error::OutOfBounds { offset, len, size }
            }
            SafeError::ReadOnly => Error::ReadOnly {
                reason: "declared const".into(),
            },
            SafeError::Signature { rust, c } => Error::Signature {
                name: String::new(),
                rust,
                c,
                reason: None,
            },
            SafeError::PassesPointers => Error::PassesPointers {
                function: String::new(),
            },
            SafeError::CallbackPanicked(message) => Error::CallbackPanicked { message },
            SafeError::Call(e) => e.into(),
            e @ SafeError::Mismatch(_) => Error::Libffi(e.to_string()),
        }
    }
}

/// `Result<T, rffi::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
