"""Generated package tempyral.api.update."""
