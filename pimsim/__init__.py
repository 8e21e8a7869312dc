"""pimsim: a cycle-accurate simulator of PIM-GPT style processing-in-memory."""

__version__ = "0.4.0"
