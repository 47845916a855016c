//! Shared libraries: opening, finding symbols, closing.

use std::ffi::{c_void, OsStr};

#[cfg(unix)]
use libloading::os::unix::Library as Handle;
#[cfg(windows)]
use libloading::os::windows::Library as Handle;

use crate::error::CallError;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub use libc::RTLD_DEEPBIND;
#[cfg(unix)]
pub use libc::{RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NODELETE, RTLD_NOLOAD, RTLD_NOW};
/// glibc's `RTLD_DEEPBIND` exists nowhere else; 0 here, a flag that
/// changes nothing (as cffi exports it only where it exists).
#[cfg(all(unix, not(all(target_os = "linux", target_env = "gnu"))))]
pub const RTLD_DEEPBIND: i32 = 0;

/// `dlopen`'s flags do not exist on Windows, where `LoadLibraryExW` flags
/// are passed instead: 0, the default search, for each of them.
#[cfg(windows)]
pub use self::windows_flags::*;
#[cfg(windows)]
#[allow(missing_docs)]
mod windows_flags {
    pub const RTLD_NOW: i32 = 0;
    pub const RTLD_LAZY: i32 = 0;
    pub const RTLD_GLOBAL: i32 = 0;
    pub const RTLD_LOCAL: i32 = 0;
    pub const RTLD_NODELETE: i32 = 0;
    pub const RTLD_NOLOAD: i32 = 0;
    pub const RTLD_DEEPBIND: i32 = 0;
}

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
    ///
    /// # Safety
    /// Loading a library runs its initialisers (and unloading it, its
    /// finalisers), which must be sound to run, as for `dlopen` itself and
    /// libloading's `Library::new`.
    pub unsafe fn open(path: Option<&str>, flags: i32) -> Result<Library, CallError> {
        // SAFETY: passed on to this function's caller.
        unsafe { Library::open_os(path.map(OsStr::new), flags) }
    }

    /// [`open`](Library::open) for any file name the system accepts. On
    /// Windows `flags` are `LoadLibraryExW`'s, and `None` is the program.
    ///
    /// # Safety
    /// As for [`open`](Library::open).
    pub unsafe fn open_os(path: Option<&OsStr>, flags: i32) -> Result<Library, CallError> {
        let name = path.map_or("<None>".into(), |p| p.to_string_lossy().into_owned());
        // SAFETY: passed on to this function's caller.
        let handle = unsafe { open_handle(path, flags) }.map_err(|e| CallError::Open {
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
            handle: Some(unsafe { Handle::from_raw(raw_handle(handle)) }),
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
        Ok(symbol_address(sym.into_raw()))
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
#[cfg(unix)]
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

/// No exported-symbol lookup off Unix: the name is unknown.
#[cfg(not(unix))]
pub fn symbol_name_at(_addr: usize) -> Option<String> {
    None
}

#[cfg(unix)]
fn raw_handle(handle: *mut c_void) -> *mut c_void {
    handle
}

#[cfg(windows)]
fn raw_handle(handle: *mut c_void) -> isize {
    handle as isize
}

#[cfg(unix)]
fn symbol_address(raw: *mut c_void) -> *mut c_void {
    raw
}

/// `GetProcAddress` gives a function pointer (or none); rffi wants the address.
#[cfg(windows)]
fn symbol_address(raw: Option<unsafe extern "system" fn() -> isize>) -> *mut c_void {
    raw.map_or(std::ptr::null_mut(), |f| f as *mut c_void)
}

/// # Safety
/// As for [`Library::open`].
#[cfg(unix)]
unsafe fn open_handle(path: Option<&OsStr>, flags: i32) -> Result<Handle, libloading::Error> {
    let flags = if flags == 0 { RTLD_NOW } else { flags };
    // SAFETY: loading runs the library's initialisers, which this
    // function's caller vouches for.
    unsafe { Handle::open(path, flags) }
}

/// # Safety
/// As for [`Library::open`].
#[cfg(windows)]
unsafe fn open_handle(path: Option<&OsStr>, flags: i32) -> Result<Handle, libloading::Error> {
    match path {
        None => Handle::this(),
        // SAFETY: loading runs DllMain, which this function's caller vouches for.
        Some(path) => unsafe { Handle::load_with_flags(path, flags as u32) },
    }
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
        // SAFETY: the process is already loaded.
        let lib = unsafe { Library::open(None, 0) }.unwrap();
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
        // SAFETY: libc is already loaded in every process; opening it again
        // runs no initialiser.
        let lib = unsafe { Library::open(Some("libc.so.6"), 0) }.unwrap();
        let strtol = lib.symbol("strtol").unwrap() as usize;
        assert_eq!(symbol_name_at(strtol).as_deref(), Some("strtol"));
        assert_eq!(symbol_name_at(strtol + 1), None);
        assert_eq!(symbol_name_at(0), None);
    }

    #[test]
    fn missing_library_is_an_error_naming_it() {
        // SAFETY: nothing is loaded.
        let err = unsafe { Library::open(Some("/nonexistent/libnothing.so"), 0) }.unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/libnothing.so"),
            "{err}"
        );
    }

    #[test]
    fn closed_library_refuses_lookups() {
        // SAFETY: libm's initialisers are sound.
        let mut lib = unsafe { Library::open(Some("libm.so.6"), 0) }.unwrap();
        assert!(lib.symbol("cos").is_ok());
        lib.close().unwrap();
        assert!(lib.is_closed());
        assert!(matches!(lib.symbol("cos"), Err(CallError::Closed(_))));
    }
}
