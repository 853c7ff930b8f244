"""Demo data: two partners and three published projects in three languages, with photos.

Loading is idempotent: what exists (by slug) is left exactly as it is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.accounts import services as accounts
from leadpages.arrangements import services as arrangements
from leadpages.partners.models import Partner
from leadpages.projects.models import Category, Project, ProjectPhoto, ProjectText
from leadpages.staff import services as staff
from leadpages.staff.models import StaffUser

PARTNERS: list[dict[str, Any]] = [
    {
        "slug": "scheldeland",
        "legal_name": "Bouwgroep Scheldeland NV",
        "enterprise_number": "BE 0456.789.123",
        "address": "Kortrijksesteenweg 210, 9000 Gent, Belgium",
        "website": "https://scheldeland.example",
        "contact_name": "Sofie Van Damme",
        "contact_email": "sofie.vandamme@scheldeland.example",
        "contact_phone": "+3292345678",
        "privacy_email": "privacy@scheldeland.example",
        "email_recipients": ["leads@scheldeland.example"],
        "logo_colour": (20, 83, 45),
    },
    {
        "slug": "kustvastgoed",
        "legal_name": "Kustvastgoed BV",
        "enterprise_number": "BE 0789.123.456",
        "address": "Lippenslaan 88, 8300 Knokke-Heist, Belgium",
        "website": "https://kustvastgoed.example",
        "contact_name": "Marc Dubois",
        "contact_email": "marc.dubois@kustvastgoed.example",
        "contact_phone": "+3250612345",
        "privacy_email": "gdpr@kustvastgoed.example",
        "email_recipients": ["verkoop@kustvastgoed.example"],
        "logo_colour": (30, 64, 120),
    },
]

PROJECTS: list[dict[str, Any]] = [
    {
        "slug": "residentie-parkzicht",
        "partner": "scheldeland",
        "category": "residential",
        "street": "Parklaan 14",
        "postcode": "9000",
        "city": "Gent",
        "units_total": 48,
        "units_available": 31,
        "price_min": Decimal("245000"),
        "price_max": Decimal("520000"),
        "unit_types": ["apartment", "duplex", "penthouse"],
        "delivery_date": date(2028, 6, 1),
        "optional_fields": ["postcode", "budget", "features", "timeframe", "contact_preference",
                            "message"],
        "texts": {
            "nl": ("Residentie Parkzicht",
                   "48 energiezuinige appartementen aan het Citadelpark, op wandelafstand van "
                   "het station.",
                   "Residentie Parkzicht brengt wonen en groen samen: vier gebouwen rond een "
                   "autovrije binnentuin, met appartementen van één tot drie slaapkamers en "
                   "penthouses met een ruim terras.\n\nElk appartement heeft een warmtepomp, "
                   "zonnepanelen op het dak en een eigen fietsenberging. Het station Gent-Sint-"
                   "Pieters ligt op acht minuten wandelen."),
            "fr": ("Résidence Parkzicht",
                   "48 appartements basse énergie au bord du Citadelpark, à quelques minutes "
                   "à pied de la gare.",
                   "La Résidence Parkzicht réunit ville et verdure : quatre bâtiments autour "
                   "d'un jardin intérieur sans voitures, avec des appartements d'une à trois "
                   "chambres et des penthouses avec une grande terrasse.\n\nChaque appartement "
                   "dispose d'une pompe à chaleur, de panneaux solaires en toiture et d'un "
                   "local vélos privé. La gare de Gand-Saint-Pierre est à huit minutes à pied."),
            "en": ("Parkzicht Residence",
                   "48 low-energy apartments on the Citadelpark, a short walk from the station.",
                   "Parkzicht Residence brings city and green together: four buildings around "
                   "a car-free courtyard garden, with one- to three-bedroom apartments and "
                   "penthouses with a generous terrace.\n\nEvery apartment has a heat pump, "
                   "solar panels on the roof and its own bicycle store. Gent-Sint-Pieters "
                   "station is an eight-minute walk away."),
        },
    },
    {
        "slug": "duinenzicht-villas",
        "partner": "kustvastgoed",
        "category": "luxury",
        "street": "Duinenweg 5",
        "postcode": "8300",
        "city": "Knokke-Heist",
        "units_total": 6,
        "units_available": 4,
        "price_min": Decimal("1450000"),
        "price_max": Decimal("2900000"),
        "unit_types": ["villa"],
        "delivery_date": date(2027, 9, 1),
        "optional_fields": ["budget", "preferred_location", "contact_preference", "message"],
        "texts": {
            "nl": ("Duinenzicht Villa's",
                   "Zes architectvilla's aan de rand van de duinen, met tuin en zwembad.",
                   "Duinenzicht is een kleinschalig project van zes vrijstaande villa's, elk op "
                   "een perceel van meer dan 1.000 m², met uitzicht op het beschermde "
                   "duinengebied.\n\nGrote glaspartijen, natuursteen en hout, een verwarmd "
                   "buitenzwembad en een garage voor twee wagens. Het strand ligt op vijf "
                   "minuten fietsen."),
            "fr": ("Villas Duinenzicht",
                   "Six villas d'architecte en bordure des dunes, avec jardin et piscine.",
                   "Duinenzicht est un projet intimiste de six villas individuelles, chacune "
                   "sur une parcelle de plus de 1 000 m², avec vue sur les dunes protégées."
                   "\n\nGrandes baies vitrées, pierre naturelle et bois, piscine extérieure "
                   "chauffée et garage pour deux voitures. La plage est à cinq minutes à vélo."),
            "en": ("Duinenzicht Villas",
                   "Six architect-designed villas on the edge of the dunes, with garden and pool.",
                   "Duinenzicht is a small project of six detached villas, each on a plot of "
                   "more than 1,000 m², looking out over the protected dunes.\n\nLarge glass "
                   "fronts, natural stone and wood, a heated outdoor pool and a double garage. "
                   "The beach is five minutes away by bike."),
        },
    },
    {
        "slug": "schelde-businesspark",
        "partner": "scheldeland",
        "category": "industrial",
        "street": "Scheldedijk 30",
        "postcode": "2070",
        "city": "Zwijndrecht",
        "units_total": 22,
        "units_available": 15,
        "price_min": Decimal("380000"),
        "price_max": Decimal("1600000"),
        "unit_types": ["warehouse", "workshop", "office"],
        "delivery_date": date(2027, 3, 1),
        "optional_fields": ["budget", "timeframe", "message"],
        "texts": {
            "nl": ("Schelde Businesspark",
                   "22 KMO-units van 250 tot 1.200 m², vlak bij de Kennedytunnel.",
                   "Schelde Businesspark biedt flexibele bedrijfsunits met een vrije hoogte van "
                   "acht meter, een sectionale poort en een kantoorverdieping.\n\nDe units zijn "
                   "koppelbaar en liggen op twee minuten van de E17 en de Antwerpse ring, met "
                   "eigen parkeerplaatsen en laadpalen."),
            "fr": ("Schelde Businesspark",
                   "22 unités PME de 250 à 1 200 m², tout près du tunnel Kennedy.",
                   "Le Schelde Businesspark propose des unités d'entreprise flexibles avec une "
                   "hauteur libre de huit mètres, une porte sectionnelle et un étage de "
                   "bureaux.\n\nLes unités peuvent être combinées et se trouvent à deux "
                   "minutes de l'E17 et du ring d'Anvers, avec parkings et bornes de recharge."),
            "en": ("Schelde Business Park",
                   "22 business units from 250 to 1,200 m², close to the Kennedy tunnel.",
                   "Schelde Business Park offers flexible business units with an eight-metre "
                   "clear height, a sectional door and an office floor.\n\nUnits can be "
                   "combined and are two minutes from the E17 and the Antwerp ring road, with "
                   "their own parking spaces and charging points."),
        },
    },
]

ALT_TEXTS = {
    "residential": [
        {"nl": "Het appartementsgebouw gezien vanaf het park",
         "fr": "Le bâtiment vu depuis le parc", "en": "The apartment building seen from the park"},
        {"nl": "Gevel met terrassen", "fr": "Façade avec terrasses",
         "en": "Facade with terraces"},
        {"nl": "Lichte woonkamer", "fr": "Séjour lumineux", "en": "Bright living room"},
    ],
    "luxury": [
        {"nl": "Villa met zwembad bij avondlicht", "fr": "Villa avec piscine au coucher du soleil",
         "en": "Villa with pool in the evening light"},
        {"nl": "Glazen gevel van de villa", "fr": "Façade vitrée de la villa",
         "en": "Glass front of the villa"},
        {"nl": "Woonkamer met zicht op het zwembad en de duinen",
         "fr": "Séjour avec vue sur la piscine et les dunes",
         "en": "Living room overlooking the pool and the dunes"},
    ],
    "industrial": [
        {"nl": "Bedrijfshallen met laadkades", "fr": "Halls avec quais de chargement",
         "en": "Business units with loading docks"},
        {"nl": "Gevel met sectionale poorten", "fr": "Façade avec portes sectionnelles",
         "en": "Facade with sectional doors"},
        {"nl": "Binnenzicht van een unit", "fr": "Intérieur d'une unité",
         "en": "Inside a unit"},
    ],
}


#: Portal sign-in for each demo partner; only `leadpages demo` outside production creates them.
DEMO_PASSWORD = "Demo-partner-2026"  # noqa: S105 - printed for the demo, never in production
DEMO_USERS = {"scheldeland": ("sofie@scheldeland.example", "Sofie Van Damme"),
              "kustvastgoed": ("marc@kustvastgoed.example", "Marc Dubois")}

#: Workspace sign-in for each role; each sets up the authenticator app at the first sign-in.
DEMO_STAFF_PASSWORD = "Demo-staff-2026"  # noqa: S105 - printed for the demo, never in production
DEMO_STAFF = {"admin": ("admin@leadpages.example", "Els Martens"),
              "marketer": ("marketing@leadpages.example", "Mia Claes"),
              "privacy": ("privacy@leadpages.example", "Pieter Wouters")}


def load_demo(session: Session, upload_path: str | Path, operator_name: str,
              with_users: bool = False) -> list[str]:
    """Create the demo partners and projects that do not exist yet; return what was created."""
    from leadpages.demo.pictures import render_logo, render_photo
    from leadpages.media.images import store_logo, store_photo

    created: list[str] = []
    partners: dict[str, Partner] = {}
    for seed, spec in enumerate(PARTNERS):
        spec = dict(spec)
        colour = spec.pop("logo_colour")
        partner = session.scalar(select(Partner).where(Partner.slug == spec["slug"]))
        if partner is None:
            partner = Partner(**spec)
            partner.logo = store_logo(render_logo(spec["legal_name"], colour, seed), upload_path)
            session.add(partner)
            created.append(f"partner {spec['slug']}")
        partners[spec["slug"]] = partner
    session.flush()
    for partner in partners.values():
        if arrangements.in_force(session, partner.id) is None:
            draft = arrangements.create_draft(
                session, partner, arrangements.default_content(partner, operator_name))
            arrangements.activate(
                session, draft, operator_signer="Els Martens", operator_signer_role="CEO",
                partner_signer=partner.contact_name, partner_signer_role="Director",
            )
            created.append(f"arrangement {partner.slug} v{draft.version}")
    if with_users:
        for slug, (email, name) in DEMO_USERS.items():
            if accounts.find_user(session, email) is None:
                accounts.create_user(session, partners[slug], email, name, DEMO_PASSWORD)
                created.append(f"portal user {email}")
        for role, (email, name) in DEMO_STAFF.items():
            if accounts.find_user(session, email, model=StaffUser) is None:
                staff.create_staff(session, email, name, role, DEMO_STAFF_PASSWORD)
                created.append(f"staff user {email}")

    categories = {c.code: c for c in session.scalars(select(Category))}
    for seed, spec in enumerate(PROJECTS):
        if session.scalar(select(Project.id).where(Project.slug == spec["slug"])) is not None:
            continue
        spec = dict(spec)
        texts = spec.pop("texts")
        category = spec.pop("category")
        project = Project(
            **{k: v for k, v in spec.items() if k != "partner"},
            partner=partners[spec["partner"]],
            status="published",
            country="BE",
            currency="EUR",
            languages=["nl", "fr", "en"],
        )
        project.categories = [categories[category]]
        project.texts = [
            ProjectText(language=lang, title=title, tagline=tagline, description=description)
            for lang, (title, tagline, description) in texts.items()
        ]
        for view, alt in enumerate(ALT_TEXTS[category]):
            stored = store_photo(render_photo(category, view, seed), upload_path)
            project.photos.append(ProjectPhoto(
                position=view, key=stored.key, width=stored.width, height=stored.height,
                widths=stored.widths, alt=alt,
            ))
        session.add(project)
        created.append(f"project {spec['slug']}")
    session.flush()
    return created
