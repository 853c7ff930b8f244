"""The operator: the one company that runs this installation, from configuration."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Operator:
    """The operator's identity as shown to people, the controller beside each partner."""

    name: str
    enterprise_number: str
    address: str
    privacy_email: str
    authority: str
    authority_url: str


def get_operator() -> Operator:
    """The operator of the running application."""
    config = current_app.config
    return Operator(
        name=config["OPERATOR_NAME"],
        enterprise_number=config["OPERATOR_ENTERPRISE_NUMBER"],
        address=config["OPERATOR_ADDRESS"],
        privacy_email=config["OPERATOR_PRIVACY_EMAIL"],
        authority=config["SUPERVISORY_AUTHORITY"],
        authority_url=config["SUPERVISORY_AUTHORITY_URL"],
    )
