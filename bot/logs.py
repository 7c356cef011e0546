"""Structured log lines (key=value), with anything that looks like a citizen ID masked."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime

# 12-digit CCCD and 9-digit CMND numbers, also written with spaces or dots between groups.
_ID_PATTERN = re.compile(r"(?<!\d)(?:\d[ .]?){8}\d(?:(?:[ .]?\d){3})?(?!\d)")


def mask_ids(text: str) -> str:
    return _ID_PATTERN.sub("[id]", text)


class StructuredFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(getattr(record, "fields", {}))
        line = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info:
            line += " exc=" + _quote(self.formatException(record.exc_info))
        return mask_ids(line)


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # At DEBUG these libraries log request parameters, message texts among them; SQLAlchemy
    # logs every statement already at INFO.
    for name in ("telegram", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
