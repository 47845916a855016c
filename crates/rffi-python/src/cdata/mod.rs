//! The cdata value and object: a type, an address and an owner; handles and release.

pub mod handle;
pub mod lifetime;
pub mod object;
pub mod value;
