//! Python exceptions for rffi's error values, chosen as cffi chooses them.

use pyo3::exceptions::{
    PyAttributeError, PyException, PyKeyError, PyNotImplementedError, PyOSError, PyOverflowError,
    PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use rffi_call::CallError;
use rffi_types::{ErrorKind, TypeError};

pyo3::create_exception!(rffi, FFIError, PyException, "cffi's ffi.error.");
pyo3::create_exception!(
    rffi,
    CDefError,
    PyException,
    "A cdef source or type string is invalid."
);

pyo3::create_exception!(
    rffi,
    VerificationMissing,
    PyException,
    "A type declared with cffi's `...` is used: only API mode could complete it."
);

/// The Python exception for a type-model error.
pub fn type_error(e: TypeError) -> PyErr {
    let msg = e.message;
    match e.kind {
        ErrorKind::Parse | ErrorKind::Declaration => CDefError::new_err(msg),
        ErrorKind::Redeclaration | ErrorKind::Misplaced => FFIError::new_err(msg),
        ErrorKind::VerificationMissing => VerificationMissing::new_err(msg),
        ErrorKind::NotImplemented => PyNotImplementedError::new_err(msg),
        ErrorKind::UnknownSize | ErrorKind::BadValue => PyValueError::new_err(msg),
        ErrorKind::NoSuchField => PyKeyError::new_err(msg.trim_matches('\'').to_string()),
        ErrorKind::Unsupported | ErrorKind::BadLayout => PyTypeError::new_err(msg),
        ErrorKind::TooLarge => PyOverflowError::new_err(msg),
    }
}

/// The Python exception for a library or call error.
pub fn call_error(e: CallError) -> PyErr {
    let msg = e.to_string();
    match e {
        CallError::Open { .. } => PyOSError::new_err(msg),
        CallError::NoSymbol { .. } => PyAttributeError::new_err(msg),
        CallError::Closed(name) => {
            PyValueError::new_err(format!("library '{name}' has already been closed"))
        }
        CallError::Unsupported { .. } => PyTypeError::new_err(msg),
        CallError::Libffi(_) => FFIError::new_err(msg),
    }
}

pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, TypeError> {
    fn py(self) -> PyResult<T> {
        self.map_err(type_error)
    }
}

impl<T> IntoPyResult<T> for Result<T, CallError> {
    fn py(self) -> PyResult<T> {
        self.map_err(call_error)
    }
}
