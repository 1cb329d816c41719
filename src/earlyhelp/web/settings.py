"""The portal's settings: where its data lives, which database holds its records, and its secret."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from earlyhelp.errors import UsageError

DEFAULT_DATA_DIR = Path("earlyhelp-portal")
# Where `make web-assets` installs govuk-frontend and axe-core (git-ignored).
PACKAGE_ASSETS = Path(__file__).parent / "assets"
SECRET_FILE = "secret_key"
LINK_SECRET_VARIABLE = "EARLYHELP_LINK_SECRET"


def _database_url(url: str) -> str:
    """SQLAlchemy's URL for psycopg 3: a plain ``postgresql://`` URL names the driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _secret(data_dir: Path) -> str:
    """The key that signs session cookies: EARLYHELP_SECRET_KEY, else one made once and kept
    (readable by its owner only) in the data folder, so a restart does not sign everyone out."""
    if os.environ.get("EARLYHELP_SECRET_KEY"):
        return os.environ["EARLYHELP_SECRET_KEY"]
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Settings:
    """Everything ``create_app`` needs. ``data_dir`` holds the SQLite file (unless
    ``database_url`` names another database), the uploads and the LAs' warehouses."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    secret_key: str | None = None
    assets_dir: Path = PACKAGE_ASSETS
    # Session cookies only over HTTPS; off for plain-HTTP loopback (tests, the demo).
    secure_cookies: bool = True
    session_hours: int = 8
    # Failed sign-ins allowed per user name and per client address within the window.
    sign_in_attempts: int = 5
    sign_in_window_minutes: int = 15
    # Uploads larger than this are refused before they are stored.
    max_upload_bytes: int = 200 * 1024 * 1024
    # The embedded worker: a huey consumer with this many threads validating and loading
    # submissions (loads to one LA's warehouse are serialised whatever this is). 0: none here
    # (requests still enqueue; a separate process consumes). An idle consumer looks at the
    # queue at least this often.
    worker_threads: int = 1
    worker_poll_seconds: float = 1.0
    # How often a submission's progress page reloads itself (a meta refresh: no JavaScript).
    progress_refresh_seconds: int = 2
    # Single sign-on through an authenticating reverse proxy (docs/web.md): the request header
    # that carries the signed-in user's name, believed only from these proxy addresses or
    # networks. Off (None) unless set.
    trusted_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    # The key of linkage's pseudonymous person_id (EARLYHELP_LINK_SECRET). Without it a
    # partner's identity extract is stored but not linked, and its page says so.
    link_secret: str | None = field(default=None, repr=False)
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.assets_dir = Path(self.assets_dir)
        if self.database_url is None:
            self.database_url = os.environ.get("EARLYHELP_DATABASE_URL") or None
        if self.database_url is None:
            self.database_url = f"sqlite:///{(self.data_dir / 'portal.sqlite3').resolve()}"
        self.database_url = _database_url(self.database_url)
        if self.link_secret is None:
            self.link_secret = os.environ.get(LINK_SECRET_VARIABLE) or None
        if self.trusted_user_header and not self.trusted_proxies:
            raise UsageError(
                "A trusted user header needs the addresses of the proxies that set it.",
                hint="Set EARLYHELP_TRUSTED_PROXIES (comma-separated addresses or networks, "
                "e.g. 127.0.0.1) beside EARLYHELP_TRUSTED_USER_HEADER.",
            )
        try:
            self._proxy_networks = [ipaddress.ip_network(text.strip(), strict=False) for text in self.trusted_proxies]
        except ValueError as error:
            raise UsageError(f"EARLYHELP_TRUSTED_PROXIES: {error}.") from None

    def is_trusted_proxy(self, host: str | None) -> bool:
        """Whether a request from this client address may name its user in the trusted header."""
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self._proxy_networks)

    @property
    def signing_key(self) -> str:
        if self.secret_key is None:
            self.secret_key = _secret(self.data_dir)
        return self.secret_key

    def frontend_dir(self) -> Path:
        """govuk-frontend's built files (``dist/govuk``): CSS, fonts and images."""
        folder = self.assets_dir / "node_modules" / "govuk-frontend" / "dist" / "govuk"
        if not (folder / "govuk-frontend.min.css").exists():
            raise UsageError(
                f"The GOV.UK Frontend assets are not installed in {self.assets_dir}.",
                hint="Run `make web-assets` (it installs govuk-frontend from npm), or set "
                "EARLYHELP_WEB_ASSETS to a folder where `npm install govuk-frontend@5` was run.",
            )
        return folder

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides: object) -> Settings:
        """Settings from EARLYHELP_DATA_DIR, EARLYHELP_DATABASE_URL, EARLYHELP_SECRET_KEY,
        EARLYHELP_WEB_ASSETS, EARLYHELP_INSECURE_COOKIES (1 on plain-HTTP loopback),
        EARLYHELP_TRUSTED_USER_HEADER, EARLYHELP_TRUSTED_PROXIES and EARLYHELP_LINK_SECRET."""
        values: dict[str, object] = {
            "data_dir": data_dir or Path(os.environ.get("EARLYHELP_DATA_DIR", DEFAULT_DATA_DIR)),
            "secure_cookies": os.environ.get("EARLYHELP_INSECURE_COOKIES") != "1",
        }
        if os.environ.get("EARLYHELP_TRUSTED_USER_HEADER"):
            values["trusted_user_header"] = os.environ["EARLYHELP_TRUSTED_USER_HEADER"]
            values["trusted_proxies"] = tuple(
                part for part in os.environ.get("EARLYHELP_TRUSTED_PROXIES", "").split(",") if part.strip()
            )
        if os.environ.get("EARLYHELP_WEB_ASSETS"):
            values["assets_dir"] = Path(os.environ["EARLYHELP_WEB_ASSETS"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
