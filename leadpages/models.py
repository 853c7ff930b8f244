"""Every model, imported once so that the metadata (and Alembic) sees all tables."""

from leadpages.accounts.models import ApiKey, PartnerUser
from leadpages.arrangements.models import Arrangement
from leadpages.audiences.models import Audience, AudienceExport, AudienceMember
from leadpages.audit.models import AuditEvent
from leadpages.campaigns.models import Campaign
from leadpages.categories.models import CategoryEvent
from leadpages.db import Base
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.models import Lead
from leadpages.mail.models import OutboundEmail
from leadpages.mailings.models import Mailing, MailingRecipient
from leadpages.notices.models import PrivacyNotice
from leadpages.objections.models import Objection
from leadpages.partners.models import Partner
from leadpages.projects.models import (
    Category,
    Project,
    ProjectPhoto,
    ProjectText,
    ProjectVersion,
)
from leadpages.staff.models import StaffUser
from leadpages.visits.models import VisitTotal

__all__ = [
    "ApiKey",
    "Arrangement",
    "Audience",
    "AudienceExport",
    "AudienceMember",
    "AuditEvent",
    "Base",
    "Campaign",
    "Category",
    "CategoryEvent",
    "Delivery",
    "DeliveryAttempt",
    "Lead",
    "Mailing",
    "MailingRecipient",
    "Objection",
    "OutboundEmail",
    "Partner",
    "PartnerUser",
    "PrivacyNotice",
    "Project",
    "ProjectPhoto",
    "ProjectText",
    "ProjectVersion",
    "StaffUser",
    "VisitTotal",
]
