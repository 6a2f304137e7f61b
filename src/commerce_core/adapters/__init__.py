"""Adapters shipped with the library: in-memory fakes (``adapters.memory``) and system ones."""
