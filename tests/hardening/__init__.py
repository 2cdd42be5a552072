"""Hardening: hostile input, run invariants, determinism, crash safety, resource guards."""
