"""Gold questions, scoring, report and the llama-index baseline."""
