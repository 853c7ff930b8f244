"""The choice boxes on the form, each with a version: a lead stores which text it was shown.

Change a label and you must bump its version; tests/leads/test_consents.py keeps a digest of each
text so that forgetting fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class ChoiceText:
    """The label and explanation of one unticked box, under a version string."""

    version: str
    label: LazyString
    help: LazyString


MARKETING_EMAIL = ChoiceText(
    version="marketing-email/1",
    label=_l("Yes, email me about other, similar projects."),
    help=_l("Only if you tick this box. Every email has a link to stop them at once."),
)

#: Shown when LEADPAGES_AUDIENCE_BASIS=legitimate-interest: ticking it objects.
ADS_OBJECTION = ChoiceText(
    version="ads-objection/1",
    label=_l("Do not use my details for ads about similar projects."),
    help=_l("Unless you tick this box, we note the type of property you asked about "
            "(for example residential) so that ad platforms can show ads for similar projects "
            "to people like you. You can object now or at any time later."),
)

#: Shown when LEADPAGES_AUDIENCE_BASIS=consent: ticking it agrees.
ADS_CONSENT = ChoiceText(
    version="ads-consent/1",
    label=_l("You may use my details for ads about similar projects."),
    help=_l("Only if you tick this box, we note the type of property you asked about "
            "(for example residential) so that ad platforms can show ads for similar projects "
            "to people like you. You can withdraw this at any time."),
)


def ads_choice(basis: str) -> ChoiceText:
    """The ads box shown under the configured audience basis."""
    return ADS_CONSENT if basis == "consent" else ADS_OBJECTION
