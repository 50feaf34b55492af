"""Generated package tempyral.api.sdk."""
