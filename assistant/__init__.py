"""Offline question answering over Shanghai civil-affairs policy documents."""
