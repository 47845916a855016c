//! The one error type of the crate.

use rffi_call::safe::SafeError;
use rffi_call::CallError;
use rffi_types::{ErrorKind, TypeError};

/// Everything that can go wrong, saying what and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A declaration or type string was refused; the message carries the
    /// line, column and text of the offending declaration when it came from
    /// [`Ffi::cdef`](crate::Ffi::cdef).
    #[error("{message}")]
    Declaration {
        /// What kind of mistake it is.
        kind: ErrorKind,
        /// The description, with its position.
        message: String,
    },
    /// A library could not be opened, or lacks a symbol.
    #[error(transparent)]
    Library(#[from] CallError),
    /// A name used with a library that no `cdef` declared (as that kind of symbol).
    #[error("'{name}' is not declared as a {expected}")]
    NotDeclared {
        /// The name looked up.
        name: String,
        /// `function` or `variable`.
        expected: &'static str,
    },
    /// A call with the wrong number of arguments.
    #[error("{function}() takes {expected} arguments, {got} given")]
    ArgumentCount {
        /// The function called.
        function: String,
        /// How many it declares (at least this many when variadic).
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A value of the wrong kind for a C type: an argument, a field, an item.
    #[error("{place}: expected a value for '{ctype}', got {got}")]
    WrongType {
        /// Where: `argument 2 of add`, `field x`, ...
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
    #[error("'{name}': the Rust signature {rust} does not match the C declaration {c}")]
    Signature {
        /// The function or callback type.
        name: String,
        /// The Rust signature asked for.
        rust: String,
        /// The declared C type.
        c: String,
    },
    /// An index past the end of an array.
    #[error("index {index} out of range for '{ctype}'")]
    Index {
        /// The index given.
        index: usize,
        /// The array type.
        ctype: String,
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
    /// A memory access outside its block, a write to `const` memory, or a
    /// frame that does not fit its call.
    #[error(transparent)]
    Memory(#[from] SafeError),
    /// A type or value of one [`Ffi`](crate::Ffi) used with another.
    #[error("a type of another Ffi context was used")]
    ForeignType,
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Error {
        Error::Declaration {
            kind: e.kind,
            message: e.message,
        }
    }
}

/// `Result<T, rffi::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
