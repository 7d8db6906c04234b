"""Investor registry operations (mirrors contracts/registry)."""
