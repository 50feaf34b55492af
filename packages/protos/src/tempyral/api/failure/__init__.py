"""Generated package tempyral.api.failure."""
