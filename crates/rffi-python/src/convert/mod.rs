//! Python values to C values and back: scalars, the general rules, casts, strings, files.

pub mod cast;
pub mod file;
pub mod scalar;
pub mod strings;
pub mod value;
