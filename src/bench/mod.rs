//! Benchmarks behind `blotter bench …`. Performance targets are checked here, never by
//! timed tests. Each benchmark measures its baseline in the same run, so ratios are
//! meaningful on a noisy machine.

pub mod engine;
pub mod journal;
pub mod latency;
pub mod recovery;
pub mod replay;
