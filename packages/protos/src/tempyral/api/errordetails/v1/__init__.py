"""Generated package tempyral.api.errordetails.v1."""
