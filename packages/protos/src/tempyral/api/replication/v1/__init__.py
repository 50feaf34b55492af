"""Generated package tempyral.api.replication.v1."""
