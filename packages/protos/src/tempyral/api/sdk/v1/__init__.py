"""Generated package tempyral.api.sdk.v1."""
