"""Generated package tempyral.api.filter.v1."""
