"""Generated package tempyral.api.cloud.connectivityrule."""
