"""Auto-classification of new cases from their text, learnt from the unit's own resolved
cases (scikit-learn): their category, and for a unit with a triage queue the queue a
case belongs in.

Text is read as character n-grams within words (2 to 5 characters), which serves
Finnish, Norwegian, Swedish and English alike without a stemmer per language: "vannskade",
"vattenskada" and "vesivahinko" share their pieces with their inflected forms. A
logistic regression gives each category a probability; above the version's threshold
the category is set, below it only suggested. Each training is a new version with its
accuracy on a fifth of the cases held out; the categories agents set or corrected, and
the queues they moved cases to, are what the next training learns from.

A queue model learns from the resolved cases of the queues below its unit, except triage
queues and restricted queues: health and other restricted cases' text stays out of a
model that serves the whole unit, so such requests are moved there by people.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import joblib
from django.db import transaction
from django.db.models import Max, QuerySet

from luukku.core.models import OrgUnit
from luukku.customers.models import Sensitivity
from luukku.desk.models import DONE, Case, Category, ClassifierVersion, Message, Queue

logger = logging.getLogger(__name__)
MIN_CASES = 20  # fewer than this, or fewer than two categories: nothing to learn
MAX_CASES = 50_000  # the newest, for a training that stays within minutes
HELD_OUT = 0.2


def _text(subject: str, body: str) -> str:
    return f"{subject}\n{body[:2000]}"


Target = ClassifierVersion.Target


def learnt_queues(unit: OrgUnit) -> QuerySet[Queue]:
    """The queues a queue model of the unit may send cases to."""
    below = OrgUnit.objects.subtree_of([unit])
    return Queue.objects.filter(org_unit__in=below, is_active=True, is_triage=False).exclude(
        sensitivity=Sensitivity.RESTRICTED
    )


def training_data(unit: OrgUnit, target: str = Target.CATEGORY) -> tuple[list[str], list[int]]:
    """The resolved or closed cases to learn from, their subject and first message, and
    the label: for categories the unit's cases with the category they ended with; for
    queues the cases of `learnt_queues` with their queue."""
    done = Case.objects.filter(status__in=DONE)
    if target == Target.QUEUE:
        rows = done.filter(queue__in=learnt_queues(unit)).values_list("pk", "subject", "queue_id")
    else:
        rows = done.filter(org_unit=unit, category__isnull=False).values_list(
            "pk", "subject", "category_id"
        )
    cases = list(rows.order_by("-pk")[:MAX_CASES])
    first: dict[int, str] = {}
    for case_id, text in (
        Message.objects.filter(case_id__in=[c[0] for c in cases], direction="inbound")
        .order_by("case_id", "created_at", "pk")
        .values_list("case_id", "body_text")
    ):
        first.setdefault(case_id, text)
    return [_text(s, first.get(pk, "")) for pk, s, _c in cases], [c for _p, _s, c in cases]


def _pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=1000),
    )


def train(unit: OrgUnit, target: str = Target.CATEGORY) -> ClassifierVersion | None:
    """Train a new version for the unit, measure it on held-out cases, and put it in use
    (keeping the threshold the previous version had). None when there is too little."""
    from sklearn.model_selection import train_test_split

    texts, labels = training_data(unit, target)
    if len(texts) < MIN_CASES or len(set(labels)) < 2:
        return None
    counts = {label: labels.count(label) for label in set(labels)}
    stratify = labels if min(counts.values()) >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=HELD_OUT, random_state=7, stratify=stratify
    )
    measured = _pipeline().fit(x_train, y_train)
    accuracy = float(measured.score(x_test, y_test))
    model = _pipeline().fit(texts, labels)  # the one in use learns from every case
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with transaction.atomic():
        versions = ClassifierVersion.objects.filter(org_unit=unit, target=target)
        previous = versions.filter(is_active=True).first()
        latest = versions.aggregate(v=Max("version"))
        versions.update(is_active=False)
        return ClassifierVersion.objects.create(
            org_unit=unit,
            target=target,
            version=(latest["v"] or 0) + 1,
            cases=len(texts),
            accuracy=accuracy,
            labels=[int(c) for c in model.classes_],
            model=buffer.getvalue(),
            threshold=previous.threshold if previous else 0.8,
        )


_loaded: dict[int, Any] = {}  # version id: pipeline


def active_version(unit_id: int, target: str = Target.CATEGORY) -> ClassifierVersion | None:
    return (
        ClassifierVersion.objects.filter(org_unit_id=unit_id, target=target, is_active=True)
        .defer("model")
        .first()
    )


def _model(version: ClassifierVersion) -> Any:
    if version.pk not in _loaded:
        raw = ClassifierVersion.objects.values_list("model", flat=True).get(pk=version.pk)
        _loaded.clear()  # one version per unit in use: keep only the newest few
        _loaded[version.pk] = joblib.load(io.BytesIO(bytes(raw)))
    return _loaded[version.pk]


@dataclass
class Guess:
    label: int  # a category's id, or a queue's
    confidence: float
    version: int
    sure: bool  # at or above the version's threshold: set, not only suggested


def _best(version: ClassifierVersion, case: Case, text: str) -> tuple[int, float]:
    model = _model(version)
    probabilities = model.predict_proba([_text(case.subject, text)])[0]
    best = int(probabilities.argmax())
    return int(model.classes_[best]), float(probabilities[best])


def guess(case: Case, text: str) -> Guess | None:
    """The classifier's best category for a case, with how sure it is."""
    version = active_version(case.org_unit_id)
    if version is None:
        return None
    category_id, confidence = _best(version, case, text)
    if not Category.objects.filter(pk=category_id, org_unit_id=case.org_unit_id).exists():
        return None  # a category deleted since the training
    return Guess(category_id, confidence, version.version, confidence >= version.threshold)


def guess_queue(case: Case, text: str) -> Guess | None:
    """For a case in a triage queue: the queue it belongs in, with how sure it is."""
    if not case.queue.is_triage:
        return None
    version = active_version(case.queue.org_unit_id, Target.QUEUE)
    if version is None:
        return None
    queue_id, confidence = _best(version, case, text)
    if not learnt_queues(case.queue.org_unit).filter(pk=queue_id).exists():
        return None  # a queue closed, restricted or moved away since the training
    return Guess(queue_id, confidence, version.version, confidence >= version.threshold)


def train_all() -> dict[str, float]:
    """A new version for every unit with enough resolved cases, and a queue model for
    every unit with a triage queue: {"unit" or "unit/queue": accuracy}."""
    units = OrgUnit.objects.filter(
        pk__in=Case.objects.filter(status__in=DONE, category__isnull=False)
        .values("org_unit_id")
        .distinct()
    )
    triage = OrgUnit.objects.filter(
        pk__in=Queue.objects.filter(is_triage=True, is_active=True).values("org_unit_id")
    )
    trained = {}
    for target, name, chosen in ((Target.CATEGORY, "", units), (Target.QUEUE, "/queue", triage)):
        for unit in chosen:
            version = train(unit, target)
            if version is not None:
                trained[unit.slug + name] = version.accuracy
                logger.info(
                    "%s classifier for %s v%s: %.3f",
                    target,
                    unit.slug,
                    version.version,
                    version.accuracy,
                )
    return trained
