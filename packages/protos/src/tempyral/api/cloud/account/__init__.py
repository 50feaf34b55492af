"""Generated package tempyral.api.cloud.account."""
