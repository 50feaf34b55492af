"""Generated package tempyral.api.enums.v1."""
