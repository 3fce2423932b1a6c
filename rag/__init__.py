"""Answer questions about research papers from their titles and abstracts, citing every claim."""

__version__ = "0.1.0"
