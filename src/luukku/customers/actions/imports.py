"""Starting, mapping, checking and confirming file imports."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.customers.importing.fields import guess_columns
from luukku.customers.importing.files import read_table
from luukku.customers.models import ImportMapping, ImportRun, Sensitivity, SourceSystem
from luukku.customers.tasks import apply_import, check_import

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ImportStateError(ValueError):
    pass


@transaction.atomic
def start_import(
    *,
    upload: UploadedFile,
    source: SourceSystem,
    entity: str,
    org_unit: OrgUnit | None,
    by: User,
    sensitivity: str = Sensitivity.NORMAL,
) -> ImportRun:
    """Store the file and read its header; the mapping is guessed (or taken from a saved one)."""
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ImportStateError(_("The file is larger than 200 MB; split it."))
    if sensitivity == Sensitivity.RESTRICTED and org_unit is None:
        raise ImportStateError(_("Restricted records belong to an org unit: choose one."))
    run = ImportRun(
        created_by=by,
        source=source,
        entity=entity,
        org_unit=org_unit,
        sensitivity=sensitivity,
        original_name=(upload.name or "upload")[:255],
    )
    run.file.save(upload.name or "upload.csv", upload, save=False)
    headers, _rows = read_table(Path(run.file.path), run.original_name)
    run.headers = headers
    saved = ImportMapping.objects.filter(source=source, entity=entity).order_by("-pk").first()
    run.columns = (
        {h: f for h, f in saved.columns.items() if h in headers}
        if saved
        else guess_columns(headers, entity)
    )
    run.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=run,
        org_unit=org_unit,
        changes={"file": [None, run.original_name], "source": [None, source.code]},
    )
    return run


@transaction.atomic
def map_and_check(
    run: ImportRun, *, columns: dict[str, str], mode: str, save_as: str | None, by: User
) -> ImportRun:
    """Fix the mapping and start the dry run."""
    if run.status in (ImportRun.Status.IMPORTING, ImportRun.Status.DONE):
        raise ImportStateError(_("This import has already run."))
    run.columns = {h: f for h, f in columns.items() if f and h in run.headers}
    run.mode = mode
    run.status = ImportRun.Status.CHECKING
    run.errors, run.error_count, run.processed_rows = [], 0, 0
    run.save()
    if save_as:
        ImportMapping.objects.update_or_create(
            source=run.source,
            entity=run.entity,
            name=save_as[:100],
            defaults={"columns": run.columns},
        )
    enqueue_on_commit(check_import, run.pk)
    return run


@transaction.atomic
def confirm_import(run: ImportRun, *, by: User) -> ImportRun:
    if run.status != ImportRun.Status.CHECKED:
        raise ImportStateError(_("Check the file before importing it."))
    if run.error_count and run.mode == ImportRun.Mode.ALL_OR_NOTHING:
        raise ImportStateError(
            _("The file has problems. Fix them, or choose to import only the valid rows.")
        )
    run.status = ImportRun.Status.IMPORTING
    run.processed_rows = 0
    run.save(update_fields=["status", "processed_rows"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=run,
        org_unit=run.org_unit,
        changes={"status": [ImportRun.Status.CHECKED, ImportRun.Status.IMPORTING]},
    )
    enqueue_on_commit(apply_import, run.pk)
    return run
