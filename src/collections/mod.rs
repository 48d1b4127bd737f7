//! Collections the engine's state is kept in.

mod ahead;
mod growing_index;

pub use growing_index::{CHUNK, GrowingIndex};
