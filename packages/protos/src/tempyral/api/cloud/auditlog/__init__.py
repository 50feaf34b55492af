"""Generated package tempyral.api.cloud.auditlog."""
