"""Stored files: media received from channels, uploads, avatars, product images.

Bytes live under ``{data_dir}/files`` (content-addressed); the ``stored_files`` table says who
owns them. Any domain stores through :func:`service.save` and serves through this package's
routes, which check that the caller's workspace owns the file.
"""
