"""Generated package tempyral.api.rules.v1."""
