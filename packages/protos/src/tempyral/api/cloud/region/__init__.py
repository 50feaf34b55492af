"""Generated package tempyral.api.cloud.region."""
