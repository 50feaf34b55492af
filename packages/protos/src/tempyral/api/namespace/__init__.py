"""Generated package tempyral.api.namespace."""
