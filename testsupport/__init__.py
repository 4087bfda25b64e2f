"""Helpers shared by the repo's tests, local stack and benchmarks (real servers, no mocks)."""
