"""Every model, imported once so that the metadata (and Alembic) sees all tables."""

from leadpages.accounts.models import ApiKey, PartnerUser
from leadpages.arrangements.models import Arrangement
from leadpages.db import Base
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.models import Lead
from leadpages.mail.models import OutboundEmail
from leadpages.notices.models import PrivacyNotice
from leadpages.partners.models import Partner
from leadpages.projects.models import Category, Project, ProjectPhoto, ProjectText
from leadpages.visits.models import VisitTotal

__all__ = [
    "ApiKey",
    "Arrangement",
    "Base",
    "Category",
    "Delivery",
    "DeliveryAttempt",
    "Lead",
    "OutboundEmail",
    "Partner",
    "PartnerUser",
    "PrivacyNotice",
    "Project",
    "ProjectPhoto",
    "ProjectText",
    "VisitTotal",
]
