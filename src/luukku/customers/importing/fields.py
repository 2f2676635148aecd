"""What a column can be imported as, and a good first guess from its header."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from luukku.customers.models import CustomField

PERSON_FIELDS = {
    "external_id": _("External id (required)"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "full_name": _("Full name (split into first and last)"),
    "date_of_birth": _("Date of birth"),
    "gender": _("Gender"),
    "preferred_language": _("Preferred language"),
    "preferred_channel": _("Preferred channel"),
    "email": _("Email"),
    "phone": _("Phone"),
    "street": _("Street address"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "country": _("Country"),
}
ORGANIZATION_FIELDS = {
    "external_id": _("External id (required)"),
    "name": _("Name"),
    "kind": _("Kind"),
    "registration_number": _("Registration number"),
    "preferred_language": _("Preferred language"),
    "email": _("Email"),
    "phone": _("Phone"),
    "street": _("Street address"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "country": _("Country"),
}

# Header words in English, Norwegian, Finnish and Swedish.
SYNONYMS = {
    "external_id": [
        "id",
        "external id",
        "student number",
        "studentnummer",
        "opiskelijanumero",
        "customer number",
        "kundenummer",
        "asiakasnumero",
        "kundnummer",
        "member number",
    ],
    "first_name": [
        "first name",
        "firstname",
        "given name",
        "fornavn",
        "etunimi",
        "förnamn",
        "fornamn",
    ],
    "last_name": [
        "last name",
        "lastname",
        "surname",
        "family name",
        "etternavn",
        "sukunimi",
        "efternamn",
    ],
    "full_name": ["name", "full name", "navn", "nimi", "namn"],
    "date_of_birth": [
        "date of birth",
        "birth date",
        "birthday",
        "dob",
        "fødselsdato",
        "syntymäaika",
        "födelsedatum",
    ],
    "gender": ["gender", "sex", "kjønn", "sukupuoli", "kön"],
    "preferred_language": ["language", "språk", "kieli", "preferred language"],
    "preferred_channel": ["channel", "preferred channel", "kanal", "kanava"],
    "email": ["email", "e-mail", "mail", "e-post", "epost", "sähköposti", "e-postadress"],
    "phone": [
        "phone",
        "mobile",
        "telephone",
        "mobil",
        "telefon",
        "mobilnummer",
        "puhelin",
        "matkapuhelin",
        "telefonnummer",
    ],
    "street": [
        "address",
        "street",
        "street address",
        "adresse",
        "gateadresse",
        "osoite",
        "katuosoite",
        "adress",
        "gatuadress",
    ],
    "postal_code": ["postal code", "zip", "postcode", "postnummer", "postinumero"],
    "city": ["city", "town", "poststed", "sted", "kaupunki", "postitoimipaikka", "ort", "stad"],
    "country": ["country", "land", "maa"],
    "name": [
        "name",
        "organization",
        "company",
        "navn",
        "nimi",
        "namn",
        "firma",
        "yritys",
        "företag",
    ],
    "registration_number": [
        "registration number",
        "org number",
        "organisasjonsnummer",
        "orgnr",
        "y-tunnus",
        "organisationsnummer",
        "business id",
    ],
    "kind": ["kind", "type", "type of organization"],
}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().strip()
    return re.sub(r"[\s_.:-]+", " ", text)


def field_choices(entity: str) -> list[tuple[str, str]]:
    fields = PERSON_FIELDS if entity == "person" else ORGANIZATION_FIELDS
    choices = [(key, str(label)) for key, label in fields.items()]
    for field in CustomField.objects.filter(entity=entity):
        choices.append((f"custom.{field.key}", f"{field.label} ({field.get_kind_display()})"))
    return choices


def guess_columns(headers: list[str], entity: str) -> dict[str, str]:
    """Header → field for the headers we recognise (each field used once)."""
    allowed = {key for key, _label in field_choices(entity)}
    custom_labels = {
        _norm(f.label): f"custom.{f.key}" for f in CustomField.objects.filter(entity=entity)
    } | {_norm(f.key): f"custom.{f.key}" for f in CustomField.objects.filter(entity=entity)}
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        name = _norm(header)
        target = custom_labels.get(name)
        if target is None:
            for field, words in SYNONYMS.items():
                if field in allowed and (name == _norm(field) or name in {_norm(w) for w in words}):
                    target = field
                    break
        if target and target not in used:
            guessed[header] = target
            used.add(target)
    return guessed
