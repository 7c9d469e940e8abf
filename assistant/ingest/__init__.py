"""Corpus files to cleaned documents, sections, chunks and facts."""
