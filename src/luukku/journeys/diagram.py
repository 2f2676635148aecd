"""The flow drawn: each step a box in rows by its distance from the first step (a goal's
branch in rows of its own below), each way out an arrow with its name; ways back to an
earlier row bend around the right side. Computed here, drawn as SVG by the template."""

from __future__ import annotations

from dataclasses import dataclass, field

from luukku.journeys import definition as d

WIDTH, HEIGHT = 190, 70
GAP_X, GAP_Y = 50, 56
MARGIN = 20


@dataclass
class Box:
    id: str
    type: str
    label: str
    x: int = 0
    y: int = 0
    goal_branch: bool = False
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def cx(self) -> int:
        return self.x + WIDTH // 2

    @property
    def bottom(self) -> int:
        return self.y + HEIGHT


@dataclass(frozen=True)
class Arrow:
    way: str
    path: str  # SVG path data
    label_x: int
    label_y: int
    back: bool


@dataclass
class Diagram:
    boxes: list[Box]
    arrows: list[Arrow]
    width: int
    height: int
    box_width: int = WIDTH
    box_height: int = HEIGHT


def _ranks(defn: d.Definition, roots: list[str]) -> dict[str, int]:
    rank: dict[str, int] = {}
    edge = [(root, 0) for root in roots if root in defn.steps]
    while edge:
        following = []
        for step_id, depth in edge:
            if step_id in rank:
                continue
            rank[step_id] = depth
            following += [
                (t, depth + 1) for _, t in d.successors(defn.steps[step_id]) if t in defn.steps
            ]
        edge = following
    return rank


def layout(defn: d.Definition) -> Diagram:
    main = _ranks(defn, [defn.start] if defn.start else [])
    goal_roots = [g.then for g in defn.goals if g.then and g.then not in main]
    goals = {k: v for k, v in _ranks(defn, goal_roots).items() if k not in main}
    base = (max(main.values()) + 1) if main else 0
    rows: dict[int, list[str]] = {}
    for step_id, r in main.items():
        rows.setdefault(r, []).append(step_id)
    for step_id, r in goals.items():
        rows.setdefault(base + r, []).append(step_id)
    loose = [s for s in defn.steps if s not in main and s not in goals]
    if loose:  # unreachable steps: shown last, for the validation to point at
        rows.setdefault(max(rows, default=-1) + 1, []).extend(loose)
    boxes: dict[str, Box] = {}
    for r, ids in sorted(rows.items()):
        for i, step_id in enumerate(ids):
            step = defn.steps[step_id]
            boxes[step_id] = Box(
                id=step_id,
                type=step.type,
                label=step.label or step_id,
                x=MARGIN + i * (WIDTH + GAP_X),
                y=MARGIN + r * (HEIGHT + GAP_Y),
                goal_branch=step_id in goals,
            )
    widest = max((len(ids) for ids in rows.values()), default=1)
    width = 2 * MARGIN + widest * (WIDTH + GAP_X) + 60
    height = 2 * MARGIN + len(rows) * (HEIGHT + GAP_Y)
    arrows = []
    for step_id, step in defn.steps.items():
        for way, target in d.successors(step):
            if target in boxes:
                arrows.append(_arrow(boxes[step_id], boxes[target], way, width))
    return Diagram(list(boxes.values()), arrows, width, height)


def _arrow(source: Box, target: Box, way: str, width: int) -> Arrow:
    if target.y > source.y:
        x1, y1, x2, y2 = source.cx, source.bottom, target.cx, target.y
        middle = (y1 + y2) // 2
        path = f"M{x1},{y1} C{x1},{middle} {x2},{middle} {x2},{y2}"
        return Arrow(way, path, (x1 + x2) // 2 + 4, middle, back=False)
    # Back (or sideways) to an earlier row: around the right.
    x1, y1 = source.x + WIDTH, source.y + HEIGHT // 2
    x2, y2 = target.x + WIDTH, target.y + HEIGHT // 2
    out = width - 30
    path = f"M{x1},{y1} C{out},{y1} {out},{y2} {x2},{y2}"
    return Arrow(way, path, out - 20, (y1 + y2) // 2, back=True)
