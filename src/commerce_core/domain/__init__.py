"""Pure domain objects and functions: no I/O, no clock reads, no randomness, no global state."""
