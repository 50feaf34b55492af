"""Generated package tempyral.api.callback.v1."""
