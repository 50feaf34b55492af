"""Generated package tempyral.api.schedule."""
