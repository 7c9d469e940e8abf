"""Question understanding, dialogue, retrieval, fact matching, answers, verification, generation."""
