//! Collections the engine's state is kept in.

mod ahead;
mod chunked;
mod growing_index;

pub use chunked::{CHUNK, ChunkedVec};
pub use growing_index::GrowingIndex;
