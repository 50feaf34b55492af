"""Generated package tempyral.api.activity.v1."""
