"""Forms of the campaign pages: a campaign, and the period of the results."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from leadpages.admin.forms import REQUIRED, STRIP, ServiceCheck
from leadpages.campaigns import services as campaigns
from leadpages.campaigns.services import CampaignInput
from leadpages.web.forms import Form

CHANNEL_LABELS = {
    "meta": _l("Meta (Facebook, Instagram)"),
    "google": _l("Google Ads"),
    "newsletter": _l("Newsletter"),
    "other": _l("Other"),
}


def _utm(name: str) -> ServiceCheck:
    return ServiceCheck(lambda value: campaigns.check_utm(name, value))


class CampaignForm(Form):
    """A campaign: its project (when new), channel, name, dates and optional UTM values."""

    project_id = SelectField(_l("Project"), [InputRequired(REQUIRED)], coerce=int)
    channel = SelectField(_l("Channel"), [DataRequired(REQUIRED)],
                          choices=[SelectChoice(code, label)
                                   for code, label in CHANNEL_LABELS.items()])
    name = StringField(_l("Name"), [DataRequired(REQUIRED), ServiceCheck(campaigns.check_name)],
                       **STRIP, description=_l("For you and the reports, such as "
                                               "“Spring open house”."))
    starts_on = DateField(_l("Starts on"), [Optional()])
    ends_on = DateField(_l("Ends on"), [Optional()])
    utm_source = StringField(_l("UTM source"), [Length(max=100), _utm("utm_source")], **STRIP,
                             description=_l("Empty: the channel's usual value."),
                             render_kw={"spellcheck": "false", "autocomplete": "off"})
    utm_medium = StringField(_l("UTM medium"), [Length(max=100), _utm("utm_medium")], **STRIP,
                             description=_l("Empty: the channel's usual value."),
                             render_kw={"spellcheck": "false", "autocomplete": "off"})
    utm_campaign = StringField(_l("UTM campaign"), [Length(max=100), _utm("utm_campaign")],
                               **STRIP, description=_l("Empty: made from the name."),
                               render_kw={"spellcheck": "false", "autocomplete": "off"})
    utm_content = StringField(_l("UTM content"), [Length(max=100), _utm("utm_content")],
                              **STRIP, description=_l("Optional, such as the ad's variant."),
                              render_kw={"spellcheck": "false", "autocomplete": "off"})

    def to_input(self) -> CampaignInput:
        """What was typed, for campaigns.services."""
        return CampaignInput(
            name=self.name.data or "", channel=self.channel.data or "",
            starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            utm_source=self.utm_source.data or "", utm_medium=self.utm_medium.data or "",
            utm_campaign=self.utm_campaign.data or "", utm_content=self.utm_content.data or "",
        )
