"""The channel-agnostic inbox: conversation list, history, manual replies, live updates."""
