//! The type model as the Python layer sees it: the registry of one FFI, shapes, read facts. No Python classes.

pub mod call_site;
pub mod read_facts;
pub mod registry;
