"""Pure text functions: cleaning and normalising, numbers and years, domain vocabulary."""
