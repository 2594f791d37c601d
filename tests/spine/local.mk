# tests/spine: generated per-action tests, bindtests, protocol robustness
