"""The paging, crisis and voice settings: each one's default and what it does, and the checks
across them. `Settings` (server/settings.py) declares them, in their place in the table of
docs/configuration.md, with these definitions; nothing else reads this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator

from rooms.crisis import CrisisConfigError, tel_uri
from server.settings_sources import SettingsError
from server.settings_sources import setting as _s

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = [
    "CRISIS_LINE_HOURS",
    "CRISIS_LINE_LABEL",
    "CRISIS_LINE_NUMBER",
    "CRISIS_LINE_TEXT",
    "CRISIS_REGIONS",
    "PAGING_ALLOW_PRIVATE",
    "PAGING_ENDPOINTS",
    "PAGING_TIMEOUT_SECONDS",
    "STAFF_CONSOLE_URL",
    "VOICE_FRAMES_PER_SECOND",
    "VOICE_LISTENER_QUEUE_FRAMES",
    "DialableNumber",
    "check_paging",
]

# -- voice (docs/protocol.md §9) ------------------------------------------------------------------

VOICE_FRAMES_PER_SECOND: Any = _s(
    60.0, "Audio frames a speaker may send per second (20 ms frames: 50); more are dropped."
)
VOICE_LISTENER_QUEUE_FRAMES: Any = _s(
    25, "Audio frames queued per listener (25: 0.5 s); past it the oldest is dropped."
)

# -- crisis numbers (rooms/crisis.py, server/crisis_lines.py) ------------------------------------


def _dialable(value: str) -> str:
    """A number a phone can dial (it becomes a `tel:` link), or empty."""
    if value.strip():
        try:
            tel_uri(value)
        except CrisisConfigError as exc:
            raise ValueError(str(exc)) from None
    return value.strip()


DialableNumber = Annotated[str, AfterValidator(_dialable)]
"""`crisis_line_number`'s type: a dialable number, or empty."""

CRISIS_LINE_TEXT: Any = _s(
    "If you are in danger or thinking of harming yourself, call or text your local "
    "emergency or crisis number.",
    "Crisis line shown on every screen of the browser client.",
)
CRISIS_LINE_NUMBER: Any = _s(
    "",
    "The server's default crisis number (digits, spaces, `+ - ( ) . /`), shown as a `tel:` "
    "link with `crisis_line_label`; rooms may set their own (`[[rooms.crisis]]`). Unset: "
    "the locale's entries if `crisis_regions` is on, else an international directory of "
    "helplines, and `sharecircle serve` warns at start-up.",
)
CRISIS_LINE_LABEL: Any = _s(
    "Crisis line", "What the default crisis number is called where it is shown."
)
CRISIS_LINE_HOURS: Any = _s("24/7", "When the default crisis number answers.")
CRISIS_REGIONS: Any = _s(
    False,
    "Offer each member the crisis entries of their locale's region (rooms/crisis.py "
    "`EXAMPLES`: unverified examples; check every entry before turning this on).",
)

# -- paging (server/paging.py, docs/operations.md "Paging webhooks") ------------------------------

PAGING_ENDPOINTS: Any = _s(
    (),
    "Where on-call pages go: `[[paging.endpoint]]` tables in the file (docs/operations.md, "
    '"Paging webhooks"), a JSON list of them in the environment. None: consoles only.',
    secret=True,
    shown="none",
)
PAGING_ALLOW_PRIVATE: Any = _s(
    False,
    "Let paging endpoints be private, loopback or link-local addresses, and plain `http://` "
    "(a receiver on the same host or LAN; tests).",
)
PAGING_TIMEOUT_SECONDS: Any = _s(10.0, "How long one paging attempt may take.")
STAFF_CONSOLE_URL: Any = _s(
    None,
    "Base URL of the staff console that pages link to (`…/alerts/<id>`). Unset: "
    "`public_origin` + `/staff`, or no link when that is unset too.",
)


def check_paging(settings: Settings) -> None:
    """The paging settings together: every endpoint usable, a positive timeout."""
    from server.oncall_setup import paging_settings
    from server.paging_settings import PagingConfigError

    try:
        paging_settings(settings)
    except PagingConfigError as exc:
        raise SettingsError(f"paging_endpoints: {exc}") from None
    if settings.paging_timeout_seconds <= 0:
        raise SettingsError("paging_timeout_seconds: more than 0")
