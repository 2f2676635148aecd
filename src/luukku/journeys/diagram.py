"""The flow drawn: each step a box in rows by the longest way to it from the first step
(a goal's branch to the right), each way out an arrow with its name; ways back to an
earlier row (loops) bend around the right side. Computed here, drawn as SVG by the
template."""

from __future__ import annotations

from dataclasses import dataclass, field

from luukku.journeys import definition as d

WIDTH, HEIGHT = 190, 70
GAP_X, GAP_Y = 50, 56
MARGIN = 20
LEFT = 70  # room for arrows that pass rows by on the left


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


def _ranks(defn: d.Definition, roots: list[str]) -> tuple[dict[str, int], list[str]]:
    """Each reachable step's row: the longest way to it from a root, loops left out (so
    the end sits below every step that leads to it); and the steps in the order first
    met, for their place in the row."""
    order: list[str] = []
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(step_id: str) -> None:
        state[step_id] = 1
        order.append(step_id)
        for _way, target in d.successors(defn.steps[step_id]):
            if target not in defn.steps:
                continue
            if state.get(target) == 1:
                back.add((step_id, target))
            elif target not in state:
                visit(target)
        state[step_id] = 2

    for root in roots:
        if root in defn.steps and root not in state:
            visit(root)
    rank = {step_id: 0 for step_id in order}
    for _ in range(len(order)):  # relax until settled; a graph without loops settles
        changed = False
        for step_id in order:
            for _way, target in d.successors(defn.steps[step_id]):
                if target is None or target not in rank or (step_id, target) in back:
                    continue
                if rank[target] < rank[step_id] + 1:
                    rank[target] = rank[step_id] + 1
                    changed = True
        if not changed:
            break
    return rank, order


def layout(defn: d.Definition) -> Diagram:
    goal_roots = [g.then for g in defn.goals if g.then]
    start = [defn.start] if defn.start else []
    main, _ = _ranks(defn, start)
    rank, order = _ranks(defn, start + goal_roots)
    goals = {s for s in rank if s not in main}
    rows: dict[int, list[str]] = {}
    for step_id in sorted(order, key=lambda s: s in goals):  # a goal's branch to the right
        rows.setdefault(rank[step_id], []).append(step_id)
    loose = [s for s in defn.steps if s not in rank]
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
                x=LEFT + i * (WIDTH + GAP_X),
                y=MARGIN + r * (HEIGHT + GAP_Y),
                goal_branch=step_id in goals,
            )
    widest = max((len(ids) for ids in rows.values()), default=1)
    width = LEFT + MARGIN + widest * (WIDTH + GAP_X) + 60
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
        if x1 == x2 and target.y - source.bottom > GAP_Y:
            # Past the rows between, down the left side rather than through their boxes.
            x1, y1 = source.x, source.y + HEIGHT // 2
            x2, y2 = target.x, target.y + HEIGHT // 2
            side = source.x - LEFT + 12
            path = f"M{x1},{y1} C{side},{y1} {side},{y2} {x2},{y2}"
            return Arrow(way, path, side + 2, (y1 + y2) // 2, back=False)
        middle = (y1 + y2) // 2
        path = f"M{x1},{y1} C{x1},{middle} {x2},{middle} {x2},{y2}"
        return Arrow(way, path, (x1 + x2) // 2 + 4, middle, back=False)
    # Back (or sideways) to an earlier row: around the right.
    x1, y1 = source.x + WIDTH, source.y + HEIGHT // 2
    x2, y2 = target.x + WIDTH, target.y + HEIGHT // 2
    out = width - 30
    path = f"M{x1},{y1} C{out},{y1} {out},{y2} {x2},{y2}"
    return Arrow(way, path, out - 20, (y1 + y2) // 2, back=True)
