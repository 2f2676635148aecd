"""Importing a file of one's own persons, and finding one of them by phone afterwards."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from luukku.core.models import AuditEntry, User
from luukku.customers.actions.imports import start_import
from luukku.customers.importing import engine, parallel
from luukku.customers.models import ImportMapping, ImportRun, Person
from luukku.customers.search import search
from tests.customers.conftest import Setup
from tests.test_jobs import run_due_jobs

GOOD = (
    "Studentnummer;Fornavn;Etternavn;E-post;Mobil;Fødselsdato;Student status\n"
    "S-1;Kari;Nordmann;kari@example.test;412 34 567;31.03.2001;active\n"
    "S-2;Ola;Hansen;ola@example.test;98765432;2002-01-01;on_leave\n"
)
BAD = GOOD + (
    "S-3;Aino;Virtanen;aino@example;+358 40 123 4567;1999-13-01;expelled\n"
    "S-1;Dup;Licate;dup@example.test;;;\n"
    ";No;Id;;;;\n"
)


def upload(setup: Setup, content: str | bytes, name: str = "people.csv") -> ImportRun:
    data = content.encode() if isinstance(content, str) else content
    return start_import(
        upload=SimpleUploadedFile(name, data),
        source=setup.sis,
        entity="person",
        org_unit=None,
        by=setup.admin,
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_the_dry_run_reports_every_problem_by_row_and_column(setup: Setup) -> None:
    run = upload(setup, BAD)

    engine.check(run)

    problems = {(e["row"], e["column"]) for e in run.errors}
    assert problems == {
        (4, "E-post"),
        (4, "Fødselsdato"),
        (4, "Student status"),
        (5, "Studentnummer"),
        (6, "Studentnummer"),
    }
    assert run.error_count == 5
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_file_with_problems_imports_nothing_unless_asked(setup: Setup) -> None:
    run = upload(setup, BAD)
    engine.check(run)

    with pytest.raises(engine.ImportRefused):
        engine.run_import(run)
    assert Person.objects.count() == 0

    run.mode = ImportRun.Mode.VALID_ROWS
    engine.run_import(run)
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Hansen", "Nordmann"]
    assert (run.created, run.error_count) == (2, 5)


@pytest.mark.django_db
def test_a_large_file_is_parsed_on_every_core_with_the_same_outcome(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "workers_for", lambda size: 2)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    run = upload(setup, BAD)

    engine.check(run)
    assert {(e["row"], e["column"]) for e in run.errors} == {
        (4, "E-post"),
        (4, "Fødselsdato"),
        (4, "Student status"),
        (5, "Studentnummer"),
        (6, "Studentnummer"),
    }
    run.mode = ImportRun.Mode.VALID_ROWS
    engine.run_import(run)
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Hansen", "Nordmann"]
    assert Person.objects.get(last_name="Nordmann").phonenumbers.get().number == "+4741234567"


@pytest.mark.django_db
def test_importing_again_updates_by_external_id(setup: Setup) -> None:
    first = upload(setup, GOOD)
    engine.check(first)
    engine.run_import(first)
    kari = Person.objects.get(identities__external_id="S-1")
    from luukku.customers.actions.parties import update_party

    update_party(kari, values={"first_name": "Karianne"}, by=None)  # a staff edit outranks sis
    second = upload(setup, GOOD.replace("Hansen", "Hansen-Berg").replace("Kari;", "Kari;"))
    engine.check(second)
    engine.run_import(second)

    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert Person.objects.get(identities__external_id="S-2").last_name == "Hansen-Berg"
    assert Person.objects.get(identities__external_id="S-1").first_name == "Karianne"
    assert Person.objects.count() == 2
    assert AuditEntry.objects.filter(via="import", action="update").count() == 1


@pytest.mark.django_db
def test_windows_encoding_and_xlsx_files_are_read(setup: Setup) -> None:
    cp1252 = upload(setup, GOOD.replace("Nordmann", "Sørensen").encode("cp1252"))
    engine.check(cp1252)
    engine.run_import(cp1252)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(
        io.StringIO(GOOD.replace("S-1", "X-1").replace("S-2", "X-2")), delimiter=";"
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = upload(setup, buffer.getvalue(), "people.xlsx")
    engine.check(xlsx)
    engine.run_import(xlsx)

    assert Person.objects.filter(last_name="Sørensen").exists()
    assert (xlsx.error_count, xlsx.created) == (0, 2)


@pytest.mark.django_db
def test_a_broken_file_is_refused_at_upload(setup: Setup) -> None:
    from luukku.customers.importing.files import UnreadableFile

    with pytest.raises(UnreadableFile):
        upload(setup, b"PK\x03\x04 not really a workbook", "people.xlsx")
    with pytest.raises(UnreadableFile):
        upload(setup, b"", "empty.csv")


@pytest.mark.django_db(transaction=True)
def test_a_new_user_imports_their_csv_in_the_ui_and_finds_someone_by_phone(setup: Setup) -> None:
    client = Client()
    client.force_login(setup.admin)

    started = client.post(
        "/customers/import/",
        {
            "file": SimpleUploadedFile("mine.csv", GOOD.encode()),
            "source": setup.sis.pk,
            "entity": "person",
        },
    )
    run = ImportRun.objects.get()
    mapping_page = client.get(started["Location"]).content.decode()
    columns = {
        f"col-{i}": target
        for i, target in enumerate(
            [
                "external_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "date_of_birth",
                "custom.student_status",
            ]
        )
    }
    client.post(started["Location"], {**columns, "mode": "all", "save_as": "SIS export"})
    run_due_jobs()
    checked = client.get(f"/customers/import/{run.pk}/").content.decode()
    client.post(f"/customers/import/{run.pk}/confirm/")
    run_due_jobs()
    done = client.get(f"/customers/import/{run.pk}/").content.decode()

    assert "Kari" in mapping_page  # sample values shown next to each column
    assert "2 rows checked, 0 problems." in checked
    assert "2 created, 0 updated, 0 unchanged" in done
    assert ImportMapping.objects.get(name="SIS export").columns["Mobil"] == "phone"
    hits = search(setup.housing_agent, "412 34 567")
    assert [h.name for h in hits] == ["Kari Nordmann"]


@pytest.mark.django_db
def test_only_importers_may_import(setup: Setup) -> None:
    client = Client()
    client.force_login(setup.housing_agent)

    assert client.get("/customers/import/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_import_command(setup: Setup, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(BAD)
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import",
            "persons",
            str(bad),
            "--source",
            "sis",
            "--dry-run",
            stdout=out,
            stderr=io.StringIO(),
        )
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import",
            "persons",
            str(bad),
            "--source",
            "sis",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    done = io.StringIO()
    call_command(
        "import",
        "persons",
        str(good),
        "--source",
        "sis",
        "--user",
        "custadmin",
        stdout=done,
        stderr=io.StringIO(),
    )

    assert "row 4, E-post: Not a valid email address" in out.getvalue()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in done.getvalue()
    assert Person.objects.count() == 2


def test_the_import_command_is_listed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "luukku", "--help"], capture_output=True, text=True, check=True
    )

    assert "  import " in result.stdout


@pytest.mark.django_db
def test_export_of_a_filtered_list_as_csv_and_xlsx(setup: Setup) -> None:
    run = upload(setup, GOOD + "S-9;=cmd|' /C calc'!A0;Evil;;;;\n")
    engine.check(run)
    engine.run_import(run)
    marketer_client = Client()
    marketer_client.force_login(User.objects.get(username="custadmin"))

    as_csv = b"".join(
        marketer_client.get("/customers/export/", {"format": "csv"}).streaming_content
    ).decode()
    as_xlsx = marketer_client.get("/customers/export/", {"format": "xlsx", "q": "Kari"})
    rows = list(csv.reader(io.StringIO(as_csv.lstrip("\ufeff"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    xlsx_rows = list(sheet.iter_rows(values_only=True))

    assert rows[0][:3] == ["id", "first_name", "last_name"]
    assert "custom.diagnosis_group" not in rows[0]  # restricted field, admin is not Health staff
    assert {r[2] for r in rows[1:]} == {"Nordmann", "Hansen", "Evil"}
    assert any(r[1].startswith("'=") for r in rows[1:])  # no formula injection
    assert [r[2] for r in xlsx_rows[1:]] == ["Nordmann"]
    assert AuditEntry.objects.filter(action="export").count() == 2


@pytest.mark.django_db
def test_agents_may_not_export(setup: Setup) -> None:
    client = Client()
    client.force_login(setup.housing_agent)

    assert client.get("/customers/export/").status_code == 403
