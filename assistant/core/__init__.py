"""Value types, domain errors and the one settings object every stage shares."""
