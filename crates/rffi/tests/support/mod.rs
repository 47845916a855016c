//! What the test files share: testlib built once per test process, and a
//! context with its header declared.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use rffi::{Ffi, Library};

/// libtestlib.so built once per test process; `None` (with the reason
/// printed) when there is no C compiler.
pub fn testlib_path() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rffi-facade-tests");
        std::fs::create_dir_all(&out).ok()?;
        let lib = out.join(format!("libtestlib-{}.so", std::process::id()));
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&lib)
            .arg(root.join("tests/c/testlib.c"))
            .arg("-lm")
            .status();
        match status {
            Ok(s) if s.success() => Some(lib),
            Ok(s) => panic!("cc failed to build testlib: {s}"),
            Err(e) => {
                println!("skipped: no C compiler (cc: {e})");
                None
            }
        }
    })
    .as_ref()
}

pub fn header() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join("tests/c/testlib.h")).unwrap()
}

/// A context with testlib.h declared, and the library; `None` to skip.
pub fn setup() -> Option<(Ffi, Library)> {
    let path = testlib_path()?;
    let ffi = Ffi::new();
    ffi.cdef(&header()).unwrap();
    // SAFETY: testlib.h is the library's own header.
    let lib = unsafe { ffi.dlopen(path) }.unwrap();
    Some((ffi, lib))
}
