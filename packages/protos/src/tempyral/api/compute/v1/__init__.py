"""Generated package tempyral.api.compute.v1."""
