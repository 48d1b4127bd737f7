//! Market data files: OHLCV bars from CSV or gzipped CSV. (Being written.)
