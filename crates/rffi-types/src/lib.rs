//! rffi-types
