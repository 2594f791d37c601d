# tests/command: the spawning core (owned by the command-core work)
