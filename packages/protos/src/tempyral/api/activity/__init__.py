"""Generated package tempyral.api.activity."""
