"""The extension objects, created once and bound to an application in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect

from leadpages.db import Database

db = Database()
babel = Babel()
csrf = CSRFProtect()
#: No default limits: each public write declares its own, from configuration.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
