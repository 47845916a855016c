/// What can go wrong when opening libraries, finding symbols or planning calls.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// `dlopen` failed.
    #[error("cannot load library '{name}': {reason}")]
    Open { name: String, reason: String },
    /// The symbol is not exported by the library.
    #[error("function/symbol '{symbol}' not found in library '{library}': {reason}")]
    NoSymbol {
        symbol: String,
        library: String,
        reason: String,
    },
    /// The library was closed with `dlclose`.
    #[error("library '{0}' has been closed")]
    Closed(String),
    /// A type that libffi cannot pass or return (bitfields by value, a packed
    /// struct, a union it cannot classify).
    #[error("ctype '{ctype}' not supported as {position}: {reason}")]
    Unsupported {
        ctype: String,
        position: &'static str,
        reason: String,
    },
    /// libffi refused the call description.
    #[error("libffi cannot describe the call '{0}'")]
    Libffi(String),
}
