"""Products and variants: the catalog the assistant sells from."""
