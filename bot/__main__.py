"""python -m bot: the same as the 'phocap' command."""

from bot.cli import main

raise SystemExit(main())
