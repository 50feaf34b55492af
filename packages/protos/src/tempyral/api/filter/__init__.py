"""Generated package tempyral.api.filter."""
