"""Generated package tempyral.api.cloud.billing."""
