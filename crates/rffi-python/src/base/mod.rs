//! Leaf utilities every layer may use: errors, the GIL, the switches.

pub mod errors;
pub mod gc;
pub mod gil;
pub mod switches;
