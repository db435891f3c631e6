"""Test helpers for minigrad (e.g. the strict CuPy stand-in, strict_cupy)."""
