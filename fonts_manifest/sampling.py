"""Which family sets a block: one draw per block and role, weighted by style class.

Each role has its own class weights (receipts lean on monospace, headings may be condensed or
display, body text is serif or sans...). The run config multiplies them (`fonts.weights`),
and `fonts.include` / `fonts.exclude` narrow the families (exact names or `Prefix*`). The
class is drawn first (among classes with an eligible family), then a family uniformly within
it, so a class with few families still shows up and a class with hundreds does not crowd the
rest out. The result is a font name a chain resolves: `family:<name>`, or the plain style
(`sans` / `serif`) when no family fits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

FAMILY_PREFIX = "family:"
DEFAULT_USER_SHARE = 0.5
# "kai" exists only in the pools of Chinese text (`catalog.language_class`): printed 楷体 /
# 標楷體. Its weights follow where Chinese print uses it. Headings 0.5 (~20 % of Chinese
# headings beside serif 1 + sans 1): GB/T 9704-2012 sets official documents' second-level
# headings in 楷体, and textbooks and books set headings, quotations and captions in it.
# Body 0.15 (~7 % of body blocks): whole documents in kai are the minority case — Taiwan's
# government documents (標楷體), primary-school textbooks, letters and certificates — while
# books and papers set body text in 宋/明 and screens in 黑. Forms 0.2 (~10 %: Taiwanese
# forms are 標楷體), business-card names 0.4 (~18 %: a common choice for a card's name),
# tables 0.1 (~5 %). Receipts and card numbers: none (thermal printers and embossing have no
# kai). Captions set in the body face follow it. `fonts.weights: {kai: 0}` turns it off,
# `{kai: 2}` doubles it; vertical pages draw no family (`synth.scenes.document`).
ROLE_WEIGHTS: dict[str, dict[str, float]] = {
    "body": {"serif": 1.0, "sans": 1.0, "slab": 0.25, "condensed": 0.08, "mono": 0.04,
             "kai": 0.15},
    "heading": {"serif": 1.0, "sans": 1.0, "slab": 0.4, "condensed": 0.35, "display": 0.3,
                "kai": 0.5},
    "table": {"sans": 1.0, "serif": 0.6, "condensed": 0.4, "mono": 0.3, "slab": 0.2, "kai": 0.1},
    "receipt": {"mono": 1.0, "sans": 0.5, "condensed": 0.35, "serif": 0.1},
    "form": {"sans": 1.0, "serif": 0.7, "slab": 0.2, "condensed": 0.2, "kai": 0.2},
    "card-name": {"serif": 0.8, "sans": 1.0, "display": 0.4, "condensed": 0.3, "slab": 0.2,
                  "kai": 0.4},
    "card-number": {"mono": 1.0, "sans": 0.6, "condensed": 0.3},
    "note": {"sans": 1.0, "serif": 0.6},
}
# `spec.font_style` asks for serif or sans: which classes honour each.
STYLE_CLASSES = {"serif": ("serif", "slab", "blackletter"),
                 "sans": ("sans", "condensed", "mono")}


def _matches(family: str, patterns: list[str]) -> bool:
    return any(family.startswith(p[:-1]) if p.endswith("*") else family == p for p in patterns)


def allowed_families(families: Mapping[str, str], policy: Mapping[str, Any]) -> dict[str, str]:
    """The families a run's `fonts.include` / `fonts.exclude` leave."""
    include = list(policy.get("include") or [])
    exclude = list(policy.get("exclude") or [])
    return {
        f: c for f, c in families.items()
        if (not include or _matches(f, include)) and not _matches(f, exclude)
    }  # fmt: skip


def sample_family(rng: np.random.Generator, families: Mapping[str, str], role: str,
                  policy: Mapping[str, Any], style: str | None = None,
                  user: Collection[str] = ()) -> str | None:
    """A family name for `role` (None when none fits); always draws three times from `rng`.

    Families from the user's font dirs take `policy["user_share"]` (default 0.5) of the draws
    where one of them fits the role: a user who brings fonts wants to see them on the page,
    even among hundreds of installed families."""
    u_user, u_class, u_family = rng.random(), rng.random(), rng.random()
    pool = allowed_families(families, policy)
    mine = {f: c for f, c in pool.items() if f in user}
    if mine and u_user < float(policy.get("user_share", DEFAULT_USER_SHARE)):
        found = _draw(mine, role, policy, style, u_class, u_family)
        if found is not None:
            return found
    return _draw(pool, role, policy, style, u_class, u_family)


def _draw(pool: Mapping[str, str], role: str, policy: Mapping[str, Any], style: str | None,
          u_class: float, u_family: float) -> str | None:
    weights = dict(ROLE_WEIGHTS.get(role, ROLE_WEIGHTS["body"]))
    for cls, factor in (policy.get("weights") or {}).items():
        # multiplies the role's weight; a class the role does not use gets the weight as is
        weights[cls] = weights[cls] * float(factor) if cls in weights else float(factor)
    if style in STYLE_CLASSES:
        weights = {c: w for c, w in weights.items() if c in STYLE_CLASSES[style]}
    by_class: dict[str, list[str]] = {}
    for family, cls in sorted(pool.items()):
        if weights.get(cls, 0.0) > 0:
            by_class.setdefault(cls, []).append(family)
    if not by_class and policy.get("include"):  # the user named families: honour them
        by_class = {"sans": sorted(pool)} if pool else {}
        weights = {"sans": 1.0}
    if not by_class:
        return None
    classes = sorted(by_class)
    cum = np.cumsum([weights[c] for c in classes])
    cls = classes[min(len(classes) - 1, int(np.searchsorted(cum, u_class * cum[-1], "right")))]
    members = by_class[cls]
    return members[min(len(members) - 1, int(u_family * len(members)))]


def font_name(family: str | None, style: str) -> str:
    """The record's font name: `family:<name>`, or the plain style when there is no family."""
    return f"{FAMILY_PREFIX}{family}" if family else style
