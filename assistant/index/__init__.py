"""Embedding, keyword index, and the index on disk (build, load, manifest)."""
