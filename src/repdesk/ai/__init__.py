"""The AI assistant: engines (built-in and LLM), grounding, tools and the ``ai.reply`` job."""
