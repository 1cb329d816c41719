"""The portal: LAs and partners sign in, submit returns, fix what the validator finds, and see
their results beside their region, England and their statistical neighbours.

>>> from earlyhelp.web import Settings, create_app
>>> app = create_app(Settings(data_dir=Path("portal-data")))

``earlyhelp serve`` runs it (``--demo`` with tiny synthetic England and demo users); see
``earlyhelp.web.worker`` for the background worker and ``earlyhelp.web.access`` for the roles.
"""

from earlyhelp.web.app import create_app
from earlyhelp.web.settings import Settings

__all__ = ["Settings", "create_app"]
