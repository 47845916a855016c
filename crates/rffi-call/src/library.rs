//! Shared libraries: opening, finding symbols, closing.

use std::ffi::c_void;

use libloading::os::unix::Library as Handle;

use crate::error::CallError;

pub use libc::{
    RTLD_DEEPBIND, RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NODELETE, RTLD_NOLOAD, RTLD_NOW,
};

/// An opened shared library (or the running process, for `None`).
#[derive(Debug)]
pub struct Library {
    handle: Option<Handle>,
    name: String,
    /// Opened by someone else ([`Library::from_handle`]): dropping it leaves
    /// the handle open; only [`close`](Library::close) closes it.
    borrowed: bool,
}

impl Drop for Library {
    fn drop(&mut self) {
        if self.borrowed {
            if let Some(h) = self.handle.take() {
                // Not ours to close: its opener closes it.
                let _ = h.into_raw();
            }
        }
    }
}

impl Library {
    /// Opens `path`, or the process itself with everything already loaded
    /// when `path` is `None`. `flags` are `RTLD_*`; 0 means `RTLD_NOW`.
    pub fn open(path: Option<&str>, flags: i32) -> Result<Library, CallError> {
        let flags = if flags == 0 { RTLD_NOW } else { flags };
        let name = path.unwrap_or("<None>").to_string();
        // SAFETY: loading a library runs its initialisers; choosing which
        // library to trust is the caller's decision, as with dlopen itself.
        let handle = unsafe { Handle::open(path, flags) }.map_err(|e| CallError::Open {
            name: name.clone(),
            reason: describe(&e),
        })?;
        Ok(Library {
            handle: Some(handle),
            name,
            borrowed: false,
        })
    }

    /// A library that another `dlopen` already opened, by its handle, as
    /// cffi's `ffi.dlopen(handle)`: named by the handle's address, and left
    /// open when dropped.
    ///
    /// # Safety
    /// `handle` must be a handle that `dlopen` returned and that stays open
    /// while this `Library` uses it.
    pub unsafe fn from_handle(handle: *mut c_void) -> Library {
        Library {
            // SAFETY: the caller vouches for the handle.
            handle: Some(unsafe { Handle::from_raw(handle) }),
            name: format!("{handle:p}"),
            borrowed: true,
        }
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether [`close`](Library::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.handle.is_none()
    }

    /// The address of an exported function or variable.
    pub fn symbol(&self, symbol: &str) -> Result<*mut c_void, CallError> {
        let handle = self
            .handle
            .as_ref()
            .ok_or_else(|| CallError::Closed(self.name.clone()))?;
        let not_found = |reason: String| CallError::NoSymbol {
            symbol: symbol.to_string(),
            library: self.name.clone(),
            reason,
        };
        if symbol.contains('\0') {
            return Err(not_found("the name contains a NUL byte".into()));
        }
        // SAFETY: the symbol is read as an untyped address and never called
        // or dereferenced here; typing it is the call plan's job.
        let sym = unsafe { handle.get::<*mut c_void>(symbol.as_bytes()) }
            .map_err(|e| not_found(describe(&e)))?;
        Ok(sym.into_raw())
    }

    /// `dlclose`. Later lookups fail with [`CallError::Closed`].
    pub fn close(&mut self) -> Result<(), CallError> {
        match self.handle.take() {
            Some(h) => h.close().map_err(|e| CallError::Open {
                name: self.name.clone(),
                reason: e.to_string(),
            }),
            None => Err(CallError::Closed(self.name.clone())),
        }
    }
}

/// The name of the exported symbol that starts exactly at `addr`, as the
/// dynamic linker knows it (`dladdr`): `None` for an address inside a
/// function, or one no loaded object exports.
pub fn symbol_name_at(addr: usize) -> Option<String> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads the loader's tables and fills `info`; any
    // address may be asked about.
    let found = unsafe { libc::dladdr(addr as *const c_void, info.as_mut_ptr()) };
    // SAFETY: zero-initialised, and filled by dladdr when it returns non-zero.
    let info = unsafe { info.assume_init() };
    if found == 0 || info.dli_sname.is_null() || info.dli_saddr as usize != addr {
        return None;
    }
    // SAFETY: a NUL-terminated name in the loader's string table, which
    // lives as long as the object is loaded; it is copied at once.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_sname) };
    Some(name.to_string_lossy().into_owned())
}

/// The system's own words (dlerror) when libloading has them.
fn describe(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => source.to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_exports_libc() {
        let lib = Library::open(None, 0).unwrap();
        assert!(!lib.symbol("strlen").unwrap().is_null());
        let err = lib.symbol("no_such_symbol_rffi").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("function/symbol 'no_such_symbol_rffi' not found in library '<None>': "));
    }

    #[test]
    fn symbols_are_named_by_their_start_address() {
        // Not `cos`: libm picks an implementation at load time (an IFUNC), and
        // the address dlsym gives is that implementation's, with its own name.
        let lib = Library::open(Some("libc.so.6"), 0).unwrap();
        let strtol = lib.symbol("strtol").unwrap() as usize;
        assert_eq!(symbol_name_at(strtol).as_deref(), Some("strtol"));
        assert_eq!(symbol_name_at(strtol + 1), None);
        assert_eq!(symbol_name_at(0), None);
    }

    #[test]
    fn missing_library_is_an_error_naming_it() {
        let err = Library::open(Some("/nonexistent/libnothing.so"), 0).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/libnothing.so"),
            "{err}"
        );
    }

    #[test]
    fn closed_library_refuses_lookups() {
        let mut lib = Library::open(Some("libm.so.6"), 0).unwrap();
        assert!(lib.symbol("cos").is_ok());
        lib.close().unwrap();
        assert!(lib.is_closed());
        assert!(matches!(lib.symbol("cos"), Err(CallError::Closed(_))));
    }
}
