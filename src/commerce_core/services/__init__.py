"""Use cases that orchestrate the domain through ports passed in by the host."""
