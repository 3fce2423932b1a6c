"""Gradio chat page and OpenAI-compatible API over the answering pipeline."""
