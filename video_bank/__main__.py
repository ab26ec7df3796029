"""``python -m video_bank``."""

from video_bank.cli import main

raise SystemExit(main())
