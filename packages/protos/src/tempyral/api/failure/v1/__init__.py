"""Generated package tempyral.api.failure.v1."""
