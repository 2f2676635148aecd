"""Routing and assignment for a new case: 200 rules, 500 agents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_desk_bench \\
        .venv/bin/python -m bench.routing_decision --rules 200 --agents 500 --samples 300

Needs the cases of `bench.desk_scale`. Makes `--rules` active routing rules on the top
unit (conditions of every kind: regular expressions, words, sender domains, lists,
time ranges, customer fields; the last few match) and `--agents` available agents of
the housing queue with working hours, a few absent, each holding open cases. Then,
for `--samples` existing cases of the queue, times what a new case costs: its facts,
the walk over the compiled rules (and the check that they have not changed), and picking the agent (least load: who is on duty,
their open cases counted, the chosen one locked and counted again), each in a
transaction rolled back afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from bench.desk_scale import report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")
os.environ.setdefault("LUUKKU_DEBUG", "1")

CONDITIONS = [
    {"field": "subject", "op": "matches", "value": r"(vann|water)\s*skade{n}"},
    {"field": "text", "op": "contains", "value": "fakturanummer {n}"},
    {"field": "sender_domain", "op": "is", "value": "partner{n}.example"},
    {"field": "channel", "op": "in", "value": ["sms", "chat"]},
    {"field": "time", "op": "between", "value": "23:00-23:01"},
    {"field": "customer.last_name", "op": "starts_with", "value": "zz{n}"},
    {"field": "language", "op": "is", "value": "xx"},
]


def setup(rules: int, agents: int) -> None:
    from django.db import connection

    from luukku.core.models import (
        Absence,
        Membership,
        OrgUnit,
        Presence,
        Role,
        User,
        WorkingHours,
    )
    from luukku.desk.models import Queue, RoutingRule

    top = OrgUnit.objects.filter(parent=None).first()
    housing = Queue.objects.get(slug="housing")
    if RoutingRule.objects.filter(name__startswith="Bench rule").count() < rules:
        RoutingRule.objects.filter(name__startswith="Bench rule").delete()
        rng = random.Random(3)
        RoutingRule.objects.bulk_create(
            RoutingRule(
                org_unit=top,
                name=f"Bench rule {n}",
                position=n,
                is_active=True,
                trigger="both",
                match="all" if n % 3 else "any",
                conditions=[
                    {
                        **c,
                        "value": c["value"].format(n=n)
                        if isinstance(c["value"], str)
                        else c["value"],
                    }
                    for c in rng.sample(CONDITIONS, 2)
                ]
                if n < rules - 3
                else [{"field": "queue", "op": "is", "value": "housing"}],
                actions={"tags": [f"bench-{n}"]} if n % 2 else {"priority": "normal"},
            )
            for n in range(rules)
        )
    have = User.objects.filter(username__startswith="bench-agent-").count()
    if have < agents:
        made = User.objects.bulk_create(
            User(
                username=f"bench-agent-{n}",
                presence=Presence.AVAILABLE,
                capacity=50,
                organization=top.organization,
            )
            for n in range(have, agents)
        )
        Membership.objects.bulk_create(
            Membership(user=u, org_unit=housing.org_unit, role=Role.AGENT) for u in made
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(user=u, weekday=d, starts="00:00", ends="23:59")
            for u in made[::2]
            for d in range(7)
        )
        today = time.strftime("%Y-%m-%d")
        Absence.objects.bulk_create(
            Absence(user=u, kind="holiday", starts_on=today, ends_on=today) for u in made[::25]
        )
        with connection.cursor() as cur:  # 20 open cases each
            cur.execute(
                """
                UPDATE desk_case c SET assignee_id = a.id FROM (
                    SELECT u.id, row_number() OVER (ORDER BY u.id) AS r
                    FROM core_user u WHERE u.username LIKE 'bench-agent-%%') a,
                    (SELECT id, row_number() OVER (ORDER BY id) AS r FROM desk_case
                     WHERE queue_id = %s AND status IN ('new', 'open') AND assignee_id IS NULL
                     LIMIT %s) k
                WHERE c.id = k.id AND (k.r - 1) %% %s + 1 = a.r
                """,
                [housing.pk, agents * 20, agents],
            )
            cur.execute("ANALYZE desk_case")
    Queue.objects.filter(pk=housing.pk).update(assignment=Queue.Assignment.LEAST_LOAD)
    with connection.cursor() as cur:  # as autovacuum would after the bulk writes
        for table in ("core_user", "core_membership", "core_workinghours", "core_absence"):
            cur.execute(f"ANALYZE {table}")


def measure(samples: int) -> None:
    from django.db import transaction

    from luukku.desk import rules
    from luukku.desk.assignment import pick_agent
    from luukku.desk.models import Case, Queue

    housing = Queue.objects.select_related("org_unit").get(slug="housing")
    compiled = rules.compiled_rules()
    print(f"{len(compiled)} active rules compiled")
    numbers = list(
        Case.objects.filter(queue=housing).order_by("-pk").values_list("pk", flat=True)[:samples]
    )
    facts_ms, rules_ms, pick_ms, total_ms = [], [], [], []
    matched = 0
    for pk in numbers:
        with transaction.atomic():
            case = Case.objects.select_related("queue", "org_unit", "person").get(pk=pk)
            start = time.perf_counter()
            facts = rules.facts_for(case, sender="aino@example.test", text="Hei, det lekker.")
            t1 = time.perf_counter()
            decision = rules.decide(case, facts, trigger="created", rules=rules.compiled_rules())
            t2 = time.perf_counter()
            agent = pick_agent(housing)
            t3 = time.perf_counter()
            matched += bool(decision.matched) and agent is not None
            facts_ms.append((t1 - start) * 1000)
            rules_ms.append((t2 - t1) * 1000)
            pick_ms.append((t3 - t2) * 1000)
            total_ms.append((t3 - start) * 1000)
            transaction.set_rollback(True)
    report("facts of the case", facts_ms)
    report("rules walked", rules_ms)
    report("agent picked", pick_ms)
    report("routing + assignment", total_ms)
    print(f"{matched} of {len(numbers)} decisions matched a rule and found an agent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    import django

    django.setup()
    setup(args.rules, args.agents)
    measure(args.samples)


if __name__ == "__main__":
    main()
