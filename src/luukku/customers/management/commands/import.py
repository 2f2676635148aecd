import sys
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from luukku.core.access import Perm, can
from luukku.core.models import OrgUnit, User
from luukku.customers.access import may_write_in
from luukku.customers.importing import engine
from luukku.customers.importing.fields import guess_columns
from luukku.customers.importing.files import UnreadableFile, count_rows, read_table
from luukku.customers.models import ImportMapping, ImportRun, Sensitivity, SourceSystem


class ProgressBar:
    def __init__(self, label: str, total: int, stream: Any) -> None:
        self.label, self.total, self.stream = label, max(total, 1), stream

    def __call__(self, done: int, _total: int = 0) -> None:
        share = min(done / self.total, 1.0)
        bar = "#" * int(share * 30)
        self.stream.write(f"\r{self.label:<10} [{bar:<30}] {share:6.1%} {done}/{self.total} rows")
        self.stream.flush()

    def finish(self) -> None:
        self(self.total)
        self.stream.write("\n")


class Command(BaseCommand):
    help = "Import persons or organizations from a CSV or XLSX file, all-or-nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=["persons", "organizations"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, help="code of the source system")
        parser.add_argument("--mapping", help="name of a saved column mapping for the source")
        parser.add_argument("--org-unit", help="short name of the org unit the records belong to")
        parser.add_argument(
            "--user", default=None, help="who imports (default: first administrator)"
        )
        parser.add_argument(
            "--restricted",
            action="store_true",
            help="the records are restricted to --org-unit (e.g. from the health service)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--valid-rows", action="store_true", help="import the valid rows and report the rest"
        )

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
        else:
            user = next(
                (
                    u
                    for u in User.objects.filter(is_active=True).order_by("pk")
                    if can(u, Perm.CUSTOMER_IMPORT)
                ),
                None,
            )
        if user is None or not can(user, Perm.CUSTOMER_IMPORT):
            raise CommandError("Give --user: an active user who may import customers.")
        return user

    def handle(self, *args: Any, **o: Any) -> None:
        path: Path = o["file"]
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        source = SourceSystem.objects.filter(code=o["source"]).first()
        if source is None:
            codes = ", ".join(SourceSystem.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No source system {o['source']!r} (known: {codes}).")
        unit = None
        if o["org_unit"]:
            unit = OrgUnit.objects.filter(slug=o["org_unit"]).first()
            if unit is None:
                raise CommandError(f"No org unit {o['org_unit']!r}.")
        entity = "person" if o["entity"] == "persons" else "organization"
        user = self._user(o["user"])
        sensitivity = Sensitivity.RESTRICTED if o["restricted"] else Sensitivity.NORMAL
        if o["restricted"] and unit is None:
            raise CommandError("--restricted needs --org-unit.")
        if not may_write_in(user, unit, sensitivity):
            raise CommandError(f"{user.username} may not write customer data for that org unit.")
        try:
            headers, _rows = read_table(path, path.name)
            total = count_rows(path, path.name)
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from None
        if o["mapping"]:
            saved = ImportMapping.objects.filter(
                source=source, entity=entity, name=o["mapping"]
            ).first()
            if saved is None:
                raise CommandError(f"No saved mapping {o['mapping']!r} for {source.code}.")
            columns = saved.columns
        else:
            columns = guess_columns(headers, entity)
        self.stderr.write(
            "Columns: " + ", ".join(f"{h} → {columns[h]}" for h in headers if h in columns)
        )
        skipped = [h for h in headers if h not in columns]
        if skipped:
            self.stderr.write("Skipped columns: " + ", ".join(skipped))
        run = ImportRun(
            created_by=user,
            source=source,
            entity=entity,
            org_unit=unit,
            sensitivity=sensitivity,
            original_name=path.name,
            headers=headers,
            columns=columns,
            mode=ImportRun.Mode.VALID_ROWS if o["valid_rows"] else ImportRun.Mode.ALL_OR_NOTHING,
        )
        with path.open("rb") as handle:
            run.file.save(path.name, File(handle), save=True)
        bar = ProgressBar("Checking", total, sys.stderr)
        engine.check(run, progress=bar)
        bar.finish()
        for problem in run.errors:
            self.stdout.write(f"row {problem['row']}, {problem['column']}: {problem['message']}")
        if run.error_count > len(run.errors):
            self.stdout.write(f"… and {run.error_count - len(run.errors)} more problems")
        self.stdout.write(f"{run.total_rows} rows, {run.error_count} problems.")
        if o["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            if run.error_count:
                sys.exit(1)
            return
        if run.error_count and run.mode == ImportRun.Mode.ALL_OR_NOTHING:
            raise CommandError("Nothing was imported. Fix the file, or use --valid-rows.")
        bar = ProgressBar("Importing", run.total_rows, sys.stderr)
        run.status = ImportRun.Status.IMPORTING
        engine.run_import(run, progress=bar)
        bar.finish()
        summary = f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged"
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
