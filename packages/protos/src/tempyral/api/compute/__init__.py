"""Generated package tempyral.api.compute."""
