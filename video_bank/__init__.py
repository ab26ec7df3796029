"""video_bank: the application — configuration, app factory and CLI, accounts, media hub, storage."""
