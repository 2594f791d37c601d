# bench/command (spawning core)
