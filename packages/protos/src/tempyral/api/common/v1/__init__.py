"""Generated package tempyral.api.common.v1."""
