"""Generated package tempyral.api.namespace.v1."""
