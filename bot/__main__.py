"""python -m bot: the same as the 'phocap' command."""

from bot.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module
    raise SystemExit(main())
