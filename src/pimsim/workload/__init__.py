"""GPT model -> ops per token (shapes only, no timing)."""
