"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

import sys

from leadpages import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Leadpages cannot start; fix these settings:\n{error}")
