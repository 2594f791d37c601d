# tests/runtime: hand-written library/daemon/protocol tests (owned by the spine runtime work)
