"""Generated package tempyral.api.replication."""
