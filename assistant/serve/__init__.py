"""Front ends over one Engine: CLI, REST/OpenAI API, Gradio UI, batch files, feedback."""
