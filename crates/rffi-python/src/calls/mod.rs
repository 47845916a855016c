//! Calling C: call sites, the fast argument converters, the vectorcall entry, callbacks.

pub mod callback;
pub mod entry;
pub mod fast_args;
pub mod site;
pub mod ufunc;
