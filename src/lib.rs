//! blotter: an event-sourced, deterministic execution engine for trading. Every fact is an
//! immutable record in a durable, hash-chained journal; every view is a fold over it.
//! ARCHITECTURE.md has the map.

pub mod bench;
pub mod broker;
pub mod cli;
pub mod collections;
pub mod domain;
pub mod engine;
pub mod event;
pub mod interchange;
pub mod journal;
pub mod market;
pub mod memory;
pub mod projection;
pub mod render;
pub mod replay;
pub mod runner;
pub mod scenario;
