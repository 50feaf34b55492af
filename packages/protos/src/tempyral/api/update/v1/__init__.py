"""Generated package tempyral.api.update.v1."""
