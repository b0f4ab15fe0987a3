"""Segments: saved, dynamic contact filters (seed "Segments"), compiled to one SQL query."""
