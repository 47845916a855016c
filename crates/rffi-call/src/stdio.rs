//! C `FILE *` streams made from file descriptors, for callers that hand a
//! C function an open file of their own (cffi passes Python files so).

use std::ffi::{c_void, CString};
use std::io;

/// A new unbuffered C stream on a duplicate of `fd`, opened with `mode`
/// (`"wb"`, `"r+"`...). The caller owns it and closes it with [`close`];
/// `fd` itself stays open.
pub fn open_dup(fd: i32, mode: &str) -> io::Result<*mut c_void> {
    let mode = CString::new(mode).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: dup only reads its argument; a bad descriptor gives -1.
    let copy = unsafe { libc::dup(fd) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` is a descriptor this function owns and `mode` a C string.
    let stream = unsafe { libc::fdopen(copy, mode.as_ptr()) };
    if stream.is_null() {
        let err = io::Error::last_os_error();
        // SAFETY: fdopen failed, so `copy` is still ours to close.
        unsafe { libc::close(copy) };
        return Err(err);
    }
    // SAFETY: a stream just opened, before any I/O on it, as setbuf requires.
    unsafe { libc::setbuf(stream, std::ptr::null_mut()) };
    Ok(stream.cast())
}

/// Closes a stream from [`open_dup`].
///
/// # Safety
/// `stream` came from [`open_dup`], is not closed yet, and is not used after.
pub unsafe fn close(stream: *mut c_void) {
    // SAFETY: as the caller guarantees.
    unsafe { libc::fclose(stream.cast()) };
}
