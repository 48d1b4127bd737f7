//! Scenario files (TOML): what `blotter run` simulates. (Being written.)
