"""The sync window: status, the USB exchange, conflicts to decide, this laptop's enrollment."""
