"""A synthetic catalogue of any size for the benchmarks (bench/); no stage imports it."""
