"""The closed lists a project is described with, and their names in the visitor's language."""

from flask_babel import lazy_gettext as _l

UNIT_TYPES = {
    "apartment": _l("Apartment"),
    "penthouse": _l("Penthouse"),
    "studio": _l("Studio"),
    "duplex": _l("Duplex"),
    "house": _l("House"),
    "villa": _l("Villa"),
    "loft": _l("Loft"),
    "office": _l("Office"),
    "warehouse": _l("Warehouse"),
    "workshop": _l("Workshop"),
    "retail": _l("Retail unit"),
    "plot": _l("Building plot"),
    "parking": _l("Parking space"),
}

#: The starting categories (DESIGN.md section 7); staff keep the list from issue 4 on.
CATEGORY_NAMES = {
    "residential": _l("Residential"),
    "industrial": _l("Industrial"),
    "luxury": _l("Luxury"),
    "commercial": _l("Commercial"),
    "land": _l("Land"),
}
