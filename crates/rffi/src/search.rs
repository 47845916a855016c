//! Where a short library name such as `m` or `z` is looked for, by the rules
//! of each platform, after the dynamic loader refused the name as given.

use std::ffi::{OsStr, OsString};
use std::path::Path;

/// The file names to try for `name`, best first; empty for a path or a
/// name that already has the platform's suffix.
pub(crate) fn candidates(name: &OsStr) -> Vec<OsString> {
    let text = name.to_string_lossy();
    let is_path = Path::new(name).components().count() > 1;
    if is_path || text.contains(SUFFIX) {
        return Vec::new();
    }
    let mut found = vec![OsString::from(format!("{PREFIX}{text}{SUFFIX}"))];
    found.extend(versioned(&text));
    found
}

#[cfg(all(unix, not(target_vendor = "apple")))]
const PREFIX: &str = "lib";
#[cfg(all(unix, not(target_vendor = "apple")))]
const SUFFIX: &str = ".so";

#[cfg(target_vendor = "apple")]
const PREFIX: &str = "lib";
#[cfg(target_vendor = "apple")]
const SUFFIX: &str = ".dylib";

#[cfg(windows)]
const PREFIX: &str = "";
#[cfg(windows)]
const SUFFIX: &str = ".dll";

/// Where versioned files (`libm.so.6`) live on Linux and the BSDs, where
/// the unversioned `libm.so` is often only installed with the headers.
#[cfg(all(unix, not(target_vendor = "apple")))]
const LIBRARY_DIRS: &[&str] = &[
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
    "/lib64",
    "/usr/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
];

/// `libNAME.so.N` files of the usual directories, highest version first.
#[cfg(all(unix, not(target_vendor = "apple")))]
fn versioned(short: &str) -> Vec<OsString> {
    let prefix = format!("lib{short}.so.");
    let mut found: Vec<OsString> = LIBRARY_DIRS
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.filter_map(|e| e.ok()))
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path().into_os_string())
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found
}

/// macOS: `libNAME.dylib` in the Homebrew and system directories (the
/// loader itself also looks in the shared cache, where libSystem lives);
/// Windows: `libNAME.dll`, as MinGW builds name them.
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
fn versioned(short: &str) -> Vec<OsString> {
    #[cfg(target_vendor = "apple")]
    let dirs: &[&str] = &["/opt/homebrew/lib", "/usr/local/lib", "/usr/lib"];
    #[cfg(target_vendor = "apple")]
    let file = format!("lib{short}.dylib");
    #[cfg(windows)]
    let dirs: &[&str] = &[""];
    #[cfg(windows)]
    let file = format!("lib{short}.dll");
    dirs.iter()
        .map(|d| Path::new(d).join(&file).into_os_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_full_names_are_not_searched() {
        assert!(candidates(OsStr::new("./libfoo")).is_empty());
        assert!(candidates(OsStr::new(&format!("libfoo{SUFFIX}"))).is_empty());
        let short = candidates(OsStr::new("foo"));
        assert_eq!(short[0], OsString::from(format!("{PREFIX}foo{SUFFIX}")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_finds_versioned_files() {
        let m = candidates(OsStr::new("m"));
        assert!(
            m.iter().any(|p| p.to_string_lossy().contains("libm.so.")),
            "{m:?}"
        );
    }
}
