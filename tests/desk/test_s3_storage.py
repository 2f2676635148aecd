"""Attachments in an S3-compatible bucket (LUUKKU_S3_BUCKET): the S3 API is served by
moto's server on loopback, spoken to over HTTP as a real bucket would be."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.test import Client, override_settings
from moto.server import ThreadedMotoServer

from luukku.channels.email.receive import accept
from luukku.channels.inbound import InboundAttachment
from luukku.channels.models import Mailbox
from luukku.desk.models import Attachment, Case
from luukku.desk.services import reply
from tests.desk.conftest import Desk
from tests.desk.test_attachments import with_attachment
from tests.factories import PASSWORD
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import free_port, use_smtp

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEYS = {"aws_access_key_id": "luukku-test", "aws_secret_access_key": "luukku-test-secret"}


@pytest.fixture
def bucket() -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-north-1", **KEYS)
    s3.create_bucket(
        Bucket="luukku-files", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "luukku-files",
                "endpoint_url": endpoint,
                "region_name": "eu-north-1",
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "default_acl": None,
                "file_overwrite": False,
                "location": "luukku",
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield s3
    server.stop()


def test_attachments_in_and_out_are_kept_in_the_bucket(
    desk: Desk, mailbox: Mailbox, bucket: Any, settings: Any, smtp_server: Any
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    accept(mailbox, with_attachment("kontrakt.pdf", "application/pdf", PDF))
    case = Case.objects.get()
    stored = Attachment.objects.get()

    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket="luukku-files")["Contents"]]
    assert keys == [f"luukku/{stored.file.name}"]
    kari = Client()
    assert kari.login(username="kari", password=PASSWORD)
    download = kari.get(f"/desk/cases/{case.number}/attachments/{stored.pk}/")
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]

    files = [InboundAttachment(filename="svar.pdf", content_type="application/pdf", data=PDF)]
    reply(case, by=desk.kari, text="Signert kopi ligger ved.", version=case.version, files=files)
    run_due_jobs()

    sent = [mail for _to, mail in sink.messages if mail["Auto-Submitted"] is None][-1]
    assert [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()] == [
        ("svar.pdf", PDF)
    ]
    assert len(bucket.list_objects_v2(Bucket="luukku-files")["Contents"]) == 2
