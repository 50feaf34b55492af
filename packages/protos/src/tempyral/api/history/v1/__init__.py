"""Generated package tempyral.api.history.v1."""
