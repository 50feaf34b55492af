"""Generated package tempyral.api.version."""
