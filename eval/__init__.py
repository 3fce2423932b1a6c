"""Offline evaluation of retrieval and answers. Import from submodules (`from eval.beir import ...`)."""
