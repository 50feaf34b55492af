"""Generated package tempyral.api.callback."""
