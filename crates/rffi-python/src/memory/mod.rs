//! What keeps C memory alive and how far it reaches.

pub mod owner;
