"""Generated package tempyral.api.query."""
