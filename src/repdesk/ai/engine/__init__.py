"""Engines: the built-in offline one and the LLM one, behind one interface (``base``)."""
