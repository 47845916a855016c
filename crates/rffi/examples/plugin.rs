//! A plugin with structs by value: the plugin (C, compiled here with `cc`)
//! works on `vec2`s, and Rust passes its own `#[repr(C)]` `Vec2` to and from
//! it through typed handles, checked once against the declared layout and
//! then called directly: no allocation, no field-by-field copies.
//!
//! `cargo run -p rffi --example plugin` (needs `cc`)

use std::path::{Path, PathBuf};
use std::process::Command;

use rffi::Ffi;

rffi::c_struct! {
    /// The plugin's `vec2`, as Rust sees it.
    #[derive(Debug, PartialEq)]
    pub struct Vec2 { pub x: f64, pub y: f64 }
}

/// The plugin's header: what Rust declares to rffi.
pub const PLUGIN_H: &str = "
    typedef struct vec2 { double x, y; } vec2;
    vec2 vec2_add(vec2 a, vec2 b);
    vec2 vec2_scale(vec2 v, double k);
    double vec2_dot(vec2 a, vec2 b);
    vec2 vec2_apply(vec2 (*f)(vec2), vec2 v);
";

const PLUGIN_C: &str = "
    typedef struct vec2 { double x, y; } vec2;
    vec2 vec2_add(vec2 a, vec2 b) { vec2 r = { a.x + b.x, a.y + b.y }; return r; }
    vec2 vec2_scale(vec2 v, double k) { vec2 r = { v.x * k, v.y * k }; return r; }
    double vec2_dot(vec2 a, vec2 b) { return a.x * b.x + a.y * b.y; }
    vec2 vec2_apply(vec2 (*f)(vec2), vec2 v) { return f(v); }
";

/// Compiles the plugin into `dir`.
pub fn build(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let source = dir.join("plugin.c");
    let library = dir.join("libplugin.so");
    std::fs::write(&source, PLUGIN_C).map_err(|e| e.to_string())?;
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !status.success() {
        return Err(format!("cc failed: {status}"));
    }
    Ok(library)
}

/// Loads the plugin at `library` and uses it; returns what it printed.
pub fn run(library: &Path) -> Result<String, rffi::Error> {
    let ffi = Ffi::new();
    ffi.cdef(PLUGIN_H)?;
    // SAFETY: PLUGIN_H is the plugin's header, and loading it runs no code.
    let plugin = unsafe { ffi.dlopen(library) }?;

    let add = plugin.function::<(Vec2, Vec2), Vec2>("vec2_add")?;
    let scale = plugin.function::<(Vec2, f64), Vec2>("vec2_scale")?;
    let dot = plugin.function::<(Vec2, Vec2), f64>("vec2_dot")?;
    let (a, b) = (Vec2 { x: 1.0, y: 2.0 }, Vec2 { x: 3.0, y: 4.0 });
    let sum = add.call((a, b));
    let twice = scale.call((sum, 2.0));
    let product = dot.call((a, b));

    // A Rust closure as a `vec2 (*)(vec2)`, called by the plugin.
    let swap = ffi.callback("vec2(*)(vec2)", |(v,): (Vec2,)| Vec2 { x: v.y, y: v.x })?;
    let apply = plugin.function::<(*const std::ffi::c_void, Vec2), Vec2>("vec2_apply")?;
    // SAFETY: `swap` is a vec2(*)(vec2) that outlives the call.
    let swapped = unsafe { apply.call_unchecked((swap.as_ptr(), a)) };

    Ok(format!(
        "add = {sum:?}\nscale = {twice:?}\ndot = {product}\nswap = {swapped:?}"
    ))
}

#[allow(dead_code)]
fn main() {
    let dir = std::env::temp_dir().join(format!("rffi-plugin-{}", std::process::id()));
    let result = build(&dir).and_then(|lib| run(&lib).map_err(|e| e.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
