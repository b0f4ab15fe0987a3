"""The LLM engine: OpenAI-compatible chat completions and Anthropic Messages, with tools."""
